// Writes the seed corpora: small valid inputs for every harness, made with momenta's own writers
// where it has them (safetensors, checkpoints) and with stb_image_write and zlib otherwise.
//   fuzz_seeds <root>   ->  <root>/<harness>/<seed files>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "fuzz_common.h"
#include "idx_bytes.h"
#include "momenta/data/idx.h"
#include "momenta/io/safetensors.h"
#include "momenta/train/checkpoint.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

fs::path seed_path(const std::string& harness, const std::string& name) {
  fs::create_directories(g_root / harness);
  return g_root / harness / name;
}

void write_seed(const std::string& harness, const std::string& name, const std::string& bytes) {
  std::ofstream out(seed_path(harness, name), std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  check<IOError>(out.good(), "cannot write seed ", harness, "/", name);
}

std::string as_string(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

std::vector<uint8_t> pattern(size_t n, int mul) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * static_cast<size_t>(mul) + 11);
  return v;
}

void write_gzip(const std::string& harness, const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = seed_path(harness, name).string();
  gzFile gz = gzopen(path.c_str(), "wb9");
  check<IOError>(gz != nullptr, "cannot open ", path);
  const int wrote = gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  check<IOError>(gzclose(gz) == Z_OK && wrote == static_cast<int>(bytes.size()), "cannot write ", path);
}

void idx_seeds() {
  const auto images = fuzz::idx_bytes(data::kIdxImagesMagic, {3, 4, 5}, pattern(60, 7));
  const auto labels = fuzz::idx_bytes(data::kIdxLabelsMagic, {3}, {0, 2, 1});
  write_seed("idx", "images.idx", as_string(images));
  write_seed("idx", "labels.idx", as_string(labels));
  write_gzip("idx", "images.idx.gz", images);
  write_gzip("idx", "labels.idx.gz", labels);
  write_seed("idx", "one.idx", as_string(fuzz::idx_bytes(data::kIdxImagesMagic, {1, 2, 2}, {0, 64, 128, 255})));
  write_seed("idx", "int32.idx", as_string(fuzz::idx_bytes(0x00000c01, {2}, pattern(8, 1))));  // a type not read
}

void cifar_seeds() {
  std::string ten, hundred;
  for (int r = 0; r < 2; ++r) {
    ten += static_cast<char>(r * 9);
    ten += as_string(pattern(3072, r + 3));
    hundred += static_cast<char>(r * 19);
    hundred += static_cast<char>(r * 99);
    hundred += as_string(pattern(3072, r + 5));
  }
  write_seed("cifar", "cifar10.bin", ten);
  write_seed("cifar", "cifar100.bin", hundred);
}

void image_seeds() {
  const auto write = [](const std::string& name, int w, int h, int comp) {
    const std::string path = seed_path("image", name).string();
    const auto pixels = pattern(static_cast<size_t>(w * h * comp), 13);
    const std::string ext = name.substr(name.rfind('.') + 1);
    int ok = 0;
    if (ext == "png") ok = stbi_write_png(path.c_str(), w, h, comp, pixels.data(), w * comp);
    if (ext == "jpg") ok = stbi_write_jpg(path.c_str(), w, h, comp, pixels.data(), 80);
    if (ext == "bmp") ok = stbi_write_bmp(path.c_str(), w, h, comp, pixels.data());
    if (ext == "tga") ok = stbi_write_tga(path.c_str(), w, h, comp, pixels.data());
    check<IOError>(ok != 0, "cannot write ", path);
  };
  write("grey.png", 3, 2, 1);
  write("rgb.png", 10, 12, 3);  // the harness's own size: no resize
  write("rgba.png", 4, 4, 4);
  write("rgb.jpg", 8, 8, 3);
  write("grey.jpg", 9, 7, 1);
  write("rgb.bmp", 5, 3, 3);
  write("rgba.tga", 3, 3, 4);
  write_seed("image", "rgb.ppm", "P6\n2 2\n255\n" + as_string(pattern(12, 21)));
  write_seed("image", "grey.pgm", "P5\n3 1\n255\n" + as_string(pattern(3, 50)));
  // A 1x1 GIF89a: header, logical screen, 2-colour table, image descriptor, LZW data, trailer.
  const uint8_t gif[] = {'G',  'I',  'F',  '8',  '9',  'a',  1,    0,    1,    0,    0x80, 0,    0,    0xff,
                         0xff, 0xff, 0,    0,    0,    ',',  0,    0,    0,    0,    1,    0,    1,    0,
                         0,    2,    2,    'D',  1,    0,    ';'};
  write_seed("image", "dot.gif", std::string(reinterpret_cast<const char*>(gif), sizeof gif));
}

// A model file as `momenta train` writes it, and safetensors of every dtype momenta reads.
void safetensors_seeds() {
  const cli::ModelSpec spec = fuzz::small_model_spec();
  auto model = cli::build_model(spec);
  model->finalize();
  io::save_safetensors(seed_path("safetensors", "mlp.safetensors").string(), model->state_dict(), spec.to_metadata());
  io::save_safetensors(seed_path("safetensors", "dtypes.safetensors").string(),
                       {{"f32", Tensor::from_vector(std::vector<float>{1.5f, -2.0f}, Shape{2})},
                        {"f64", Tensor::from_vector(std::vector<double>{0.25, 3.0, 4.0}, Shape{3, 1})},
                        {"i64", Tensor::from_vector(std::vector<int64_t>{7}, Shape{1})},
                        {"scalar", Tensor::scalar(2.0)}},
                       {{"format", "momenta-model"}, {"note", "not a model"}});
}

// Checkpoints of the checkpoint harness's run after one step, with and without its averager.
void checkpoint_seeds() {
  for (bool with_averager : {true, false}) {
    fuzz::SmallRun run = fuzz::make_small_run(with_averager);
    run.model->arena().grads().fill_(0.25);
    if (run.avg) run.avg->before_step();
    run.opt->step({1.0, 0});
    if (run.avg) run.avg->step({1.0, 0});
    train::TrainingPosition pos{1, 1, {0.01}, {{"epochs", "3"}, {"batch_size", "4"}, {"schedule", "cosine"}}};
    train::save_checkpoint(seed_path("checkpoint", with_averager ? "ema.safetensors" : "plain.safetensors").string(),
                           *run.model, *run.opt, pos, run.avg.get());
  }
}

void config_seeds() {
  write_seed("config", "train.toml",
             "# a training run\nmodel = \"mlp\"\noptim = \"heavy_ball\"\nlr = 0.05\nepochs = 3\n"
             "hp = [\"momentum=0.9\", \"weight_decay=5e-4\"]\nmilestones = [5, 8]\nprogress = false\n");
  write_seed("config", "sections.toml",
             "seed = 7\n[train]\nbatch-size = 64\naugment = \"crop,flip\"\nnesterov = true\n"
             "[optimize]\nfunction = \"rosenbrock\"\nsteps = 1000\nx0 = \"-1.5,2\"\n");
  write_seed("config", "types.toml",
             "big = 9007199254740993\nsmall = 1.5e-7\nneg = -0x10\nstr = 'literal'\nml = \"\"\"\nline\"\"\"\n"
             "when = 1979-05-27T07:32:00Z\ninline = { a = 1 }\nnested = [[1, 2], [3]]\n");
}

void parse_seeds() {
  const char* values[] = {"0.9,0.999", "1e-7", "-1.5,2", "lr=0.1\nmomentum=0.9", "@1d:weight_decay=0\n*.bias:lr=0.01",
                          "fc*:betas=0.9,0.99", "sigma=5:2:cosine", "gamma=1:0:linear", "lr=1e-4:1:log", "cosine",
                          "crop:4,flip", "crop", "none", "256,256", "relu", "B", "cross_entropy", "coarse"};
  int i = 0;
  for (const char* v : values) write_seed("parse", "value" + std::to_string(i++), v);
}

void hyperparams_seeds() {
  const auto names = optim::optimizer_names();
  const auto avgs = optim::averager_names();
  const auto index = [](const std::vector<std::string>& list, const std::string& name) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == name) return static_cast<char>(i);
    throw ValueError(str_cat("fuzz_seeds: no '", name, "'"));
  };
  const auto seed = [&](const std::string& file, const std::string& opt, const std::string& avg, const std::string& rest) {
    std::string bytes{index(names, opt), avg.empty() ? static_cast<char>(avgs.size()) : index(avgs, avg)};
    write_seed("hyperparams", file, bytes + rest);
  };
  seed("sgd", "sgd", "", "lr=0.1\nmomentum=0.9");
  seed("adam_groups", "adam", "ema", "lr=0.001\nbetas=0.9,0.99\n--\n@1d:weight_decay=0\n--\ndecay=0.99\n--\nlr=0.1:0:cosine");
  seed("swa", "sgd", "swa", "lr=0.05\n--\n--\nswa_start=1\n--\nmomentum=0.5:0.9");
  for (const auto& name : names) seed("default_" + name, name, "", "lr=0.01");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds <corpus root>\n";
    return 2;
  }
  g_root = argv[1];
  try {
    idx_seeds();
    cifar_seeds();
    image_seeds();
    safetensors_seeds();
    checkpoint_seeds();
    config_seeds();
    parse_seeds();
    hyperparams_seeds();
  } catch (const std::exception& e) {
    std::cerr << "fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
