// The papers' tables scaled to 2 cores (issue 12): adai-table (adai_table.cpp) and ecd-table
// (ecd_table.cpp), on the runs of table_runs.h and the rule of table_rules.h.
#include "tools/experiments/table_runs.h"

namespace momenta::cli::experiments {

void add_table_experiments(std::vector<Experiment>& out) {
  out.push_back({"adai-table", "Xie et al. 2022 (Adai, ICML)", "Table 2 (002, l.556-560), App. D.1 (l.1672-1690)",
                 "Adai and AdaiW have lower test errors than SGD with momentum, Adam and AdamW (and the other Adam "
                 "variants) on CIFAR-10 and CIFAR-100: \"Our methods, including Adai and AdaiW, consistently outperforms "
                 "all other popular optimizers\" (l.557).",
                 run_adai_table});
  out.push_back({"ecd-table", "De Luca, Gatti & Silverstein 2023 (ECDSep)",
                 "Table 2 (001, l.230-234), Sec. 4.2 (l.220-224), App. B.2 (l.429-445)",
                 "With a constant learning rate and SWA from a fixed epoch, each optimizer at its best scanned "
                 "hyperparameters, ECDSep reaches the highest mean test accuracy on CIFAR-100 (82.57 against SGDM 82.50, "
                 "Adam 79.01, AdamW 78.71; l.233), \"competitive with the leader\" (l.202).",
                 run_ecd_table});
}

}  // namespace momenta::cli::experiments
