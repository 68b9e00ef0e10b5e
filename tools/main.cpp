// momenta: train, evaluate and (in later issues) reproduce optimizer experiments.
#include <omp.h>

#include <cstdio>

#include "tools/cli_common.h"

int main(int argc, char** argv) {
  CLI::App app{"momenta: a small, fast, honest engine for studying optimizers.\n"
               "Run `momenta <command> --help` for the options of a command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "momenta 0.1.0");
  momenta::cli::add_train_command(app);
  momenta::cli::add_eval_command(app);
  momenta::cli::add_optimize_command(app);
  momenta::cli::add_optim_command(app);
  momenta::cli::add_reproduce_command(app);
  momenta::cli::add_tune_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const momenta::Error& e) {
    std::fprintf(stderr, "momenta: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "momenta: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
