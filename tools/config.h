// `--config FILE.toml` for every subcommand: a TOML file mirrors the flags. Its keys are the long
// option names without dashes; values are strings, numbers, booleans (a flag) or arrays (a
// repeatable option); a table named after the subcommand ([train]) applies to it alone, so one
// file can configure several commands. Flags given on the command line win over the file.
//
//   # run.toml                         momenta train --config run.toml --epochs 3
//   model = "resnet20"
//   optim = "heavy_ball"
//   hp = ["momentum=0.9", "weight_decay=5e-4"]
//   milestones = [5, 8]
#pragma once

#include <string>
#include <vector>

namespace momenta::cli {

// Returns `args` (argv without the program name) with each `--config FILE` (before or after the
// subcommand) replaced by the file's options, placed right after the subcommand (IOError when it cannot be read, FormatError naming the
// file, line and key when it is not TOML or a value has an unsupported type).
std::vector<std::string> expand_config(const std::vector<std::string>& args);

}  // namespace momenta::cli
