// momenta: train, evaluate and (in later issues) reproduce optimizer experiments.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "tools/cli_common.h"
#include "tools/config.h"

int main(int argc, char** argv) {
  CLI::App app{"momenta: a small, fast, honest engine for studying optimizers.\n"
               "Run `momenta <command> --help` for the options of a command. Every command also takes\n"
               "--config FILE.toml, whose keys are its long option names (e.g. epochs = 10, hp = [\"momentum=0.9\"]);\n"
               "flags on the command line win over the file."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "momenta 0.1.0");
  momenta::cli::add_train_command(app);
  momenta::cli::add_eval_command(app);
  momenta::cli::add_sample_command(app);
  momenta::cli::add_optimize_command(app);
  momenta::cli::add_optim_command(app);
  momenta::cli::add_reproduce_command(app);
  momenta::cli::add_tune_command(app);
  momenta::cli::add_data_command(app);
  try {
    // `--config FILE.toml` becomes the flags it holds (tools/config.h); CLI11 then parses them
    // like any others, so unknown keys are the usual "not expected" error.
    std::vector<std::string> args(argv + 1, argv + argc);
    args = momenta::cli::expand_config(args);
    std::vector<char*> expanded{argv[0]};
    for (auto& a : args) expanded.push_back(a.data());
    app.parse(static_cast<int>(expanded.size()), expanded.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // A bad flag or value (tools/option_ranges.h) is a usage error like any other: one line, exit 1.
    // CLI11 quotes the argument whole (an unexpected one, a value not in a list): cut it.
    std::fprintf(stderr, "momenta: error: %s\n", momenta::excerpt(e.what(), 300).c_str());
    return 1;
  } catch (const momenta::Error& e) {
    std::fprintf(stderr, "momenta: error: %s\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // An operating-system failure on a path the commands did not wrap themselves (they throw
    // IOError naming it): still the user's environment, not a bug.
    std::fprintf(stderr, "momenta: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "momenta: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "momenta: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
