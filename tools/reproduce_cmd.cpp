// `momenta reproduce list | NAME | all [--out DIR] [--quick | --full]`: runs the paper
// experiments of tools/experiments/ and writes their reports. `all` writes one directory per
// experiment under --out (default runs/reproduce) and a summary.md with every headline.
#include <chrono>
#include <cstdio>
#include <memory>

#include "momenta/io/svg.h"
#include "tools/cli_common.h"
#include "tools/option_ranges.h"
#include "tools/experiments/experiment.h"

namespace momenta::cli {
namespace {

struct ReproduceArgs {
  std::string target;
  std::string out;
  bool quick = false, full = false;
  std::string data_dir;
  uint64_t seed = 0;
  std::string device = "cpu";
};

void list_experiments() {
  for (const auto& e : experiments::experiments())
    std::printf("%-22s %s, %s%s\n", e.name.c_str(), e.paper.c_str(), e.section.c_str(),
                e.run ? "" : "  [registered, not implemented]");
}

experiments::Outcome run_one(const experiments::Experiment& e, const experiments::Options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("== %s (%s run) -> %s\n", e.name.c_str(), o.size_name(), o.out_dir.c_str());
  std::fflush(stdout);
  experiments::Outcome out;
  if (!e.run) {
    make_output_dir(o.out_dir);
    io::write_text_file(o.out_dir + "/report.md",
                        "# " + e.name + "\n\n**Paper:** " + e.paper + ", " + e.section +
                            "\n\n**Not implemented.** This experiment is registered but was not written yet; "
                            "nothing was run and no result is claimed.\n\n## The paper's claim\n\n" + e.claim + "\n");
    out = {experiments::Verdict::kNotImplemented, "not run (not implemented)"};
  } else {
    out = e.run(e, o);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("   %s: the claim %s (%.1f s)\n", out.headline.c_str(), experiments::verdict_text(out.verdict), secs);
  std::fflush(stdout);
  return out;
}

void run_reproduce(const ReproduceArgs& a) {
  check<ValueError>(!(a.quick && a.full), "--quick and --full exclude each other");
  if (a.target == "list") {
    (void)parse_device_option(a.device);  // a bad name is an error even here
    list_experiments();
    return;
  }
  experiments::Options o;
  o.size = a.quick ? experiments::Size::kQuick : a.full ? experiments::Size::kFull : experiments::Size::kDefault;
  o.data_dir = a.data_dir;
  o.seed = a.seed;
  o.device = resolve_device(a.device);
  if (a.target == "all") {
    const std::string root = a.out.empty() ? "runs/reproduce" : a.out;
    std::string summary = std::string("# momenta reproduce all (") + o.size_name() +
                          " runs)\n\n| experiment | paper | headline | claim |\n|---|---|---|---|\n";
    for (const auto& e : experiments::experiments()) {
      o.out_dir = root + "/" + e.name;
      const auto out = run_one(e, o);
      summary += "| [" + e.name + "](" + e.name + "/report.md) | " + e.paper + ", " + e.section + " | " +
                 out.headline + " | " + experiments::verdict_text(out.verdict) + " |\n";
    }
    io::write_text_file(root + "/summary.md", summary);
    std::printf("summary written to %s/summary.md\n", root.c_str());
    return;
  }
  const auto& e = experiments::find_experiment(a.target);
  o.out_dir = a.out.empty() ? "runs/reproduce/" + e.name : a.out;
  run_one(e, o);
}

}  // namespace

void add_reproduce_command(CLI::App& app) {
  auto args = std::make_shared<ReproduceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "reproduce",
      "Reproduce a paper experiment and write DIR/report.md, CSV and SVG plots: `reproduce list` shows them, "
      "`reproduce NAME` runs one, `reproduce all` runs every one");
  cmd->add_option("target", args->target, "list, all, or an experiment name")->required();
  cmd->add_option("--out", args->out,
                  "Output directory (default runs/reproduce/NAME; for all, the root of one directory per experiment)");
  cmd->add_flag("--quick", args->quick, "Reduced form that finishes in seconds (what the tests run)");
  cmd->add_flag("--full", args->full, "The paper's exact protocol (slow)");
  cmd->add_option("--data-dir", args->data_dir, "Directory holding MNIST (IDX files) for superacc-mnist and belay-diffusion");
  add_number(cmd, "--seed", args->seed, "Seed of every random choice", seed_range())->capture_default_str();
  add_device_option(cmd, args->device)
      ->description("Where the networks of belay-diffusion, adai-table and ecd-table run: cpu, cuda or cuda:N (the "
                    "other experiments run on the CPU)");
  cmd->callback([args] { run_reproduce(*args); });
}

}  // namespace momenta::cli
