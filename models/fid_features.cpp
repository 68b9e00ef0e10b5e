#include "models/fid_features.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "momenta/autograd.h"
#include "momenta/error.h"
#include "momenta/io/safetensors.h"
#include "momenta/ops.h"
#include "momenta/random.h"
#include "momenta/optim/registry.h"
#include "momenta/train/trainer.h"

namespace momenta::models {
namespace {

constexpr const char* kFormat = "momenta-fid-classifier";

std::string shape_text(const Shape& s) { return str_cat(fmt(s)); }

double per_channel(const std::vector<double>& v, int64_t c, double fallback) {
  if (v.empty()) return fallback;
  return v.size() == 1 ? v[0] : v[static_cast<size_t>(c)];
}

// A copy of `ds`'s first n images with normalisation `norm`.
data::ImageDataset renormalised(const data::ImageDataset& ds, const data::Normalization& norm, int64_t n) {
  const int64_t keep = n < 0 ? ds.size() : std::min(n, ds.size());
  const auto per = static_cast<size_t>(ds.sample_numel());
  std::vector<uint8_t> images(ds.images().begin(), ds.images().begin() + static_cast<std::ptrdiff_t>(keep * per));
  std::vector<int64_t> labels(ds.labels().begin(), ds.labels().begin() + keep);
  return data::ImageDataset(std::move(images), ds.sample_shape(), std::move(labels), ds.num_classes(), norm);
}

}  // namespace

Tensor images01(const data::ImageDataset& ds, int64_t n) {
  const int64_t keep = n < 0 ? ds.size() : std::min(n, ds.size());
  const Shape s = ds.sample_shape();
  const auto per = static_cast<size_t>(ds.sample_numel());
  std::vector<float> v(static_cast<size_t>(keep) * per);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(ds.images()[i]) / 255.0f;
  return Tensor::from_vector(v).reshape({keep, s[0], s[1], s[2]});
}

std::string fid_data_fingerprint(const data::ImageDataset& train, const data::ImageDataset& test) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  const auto byte = [&h](uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  const auto number = [&](int64_t v) {
    for (int k = 0; k < 8; ++k) byte(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * k)));
  };
  for (const data::ImageDataset* ds : {&train, &test}) {
    number(ds->size());
    number(ds->num_classes());
    for (int64_t d : ds->sample_shape()) number(d);
    for (uint8_t b : ds->images()) byte(b);
    for (int64_t l : ds->labels()) number(l);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

std::string fid_net_cache_path(const std::string& dataset, const std::string& fingerprint,
                               const std::string& fallback_dir) {
  namespace fs = std::filesystem;
  const std::string file = "fid-classifier-" + dataset + "-" + fingerprint.substr(0, 12) + ".safetensors";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "momenta" / file).string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "momenta" / file).string();
  return (fs::path(fallback_dir) / file).string();
}

FidFeatureNet load_or_train_fid_net(const std::string& path, const std::string& dataset, const data::ImageDataset& train,
                                    const data::ImageDataset& test, const data::Normalization& norm,
                                    const FidTraining& t) {
  const Shape shape = train.sample_shape();
  const std::string fingerprint = fid_data_fingerprint(train, test);
  FidFeatureNet f;
  f.dataset = dataset;
  f.norm = norm;
  Generator gen(t.seed * 0x9e3779b97f4a7c15ULL + 0xf1d);
  f.net = make_resnet("resnet20", shape[0], train.num_classes(), gen);
  f.net->finalize();
  if (std::filesystem::exists(path)) {
    const io::SafetensorsFile file = io::load_safetensors(path);
    const auto field = [&](const std::string& key) {
      auto it = file.metadata.find(key);
      check<FormatError>(it != file.metadata.end(), "'", path, "' is not a momenta FID classifier: no metadata field '",
                         key, "'");
      return it->second;
    };
    const auto expect = [&](const std::string& key, const std::string& want) {
      const std::string got = field(key);
      check<FormatError>(got == want, "'", path, "': metadata field '", key, "' is '", excerpt(got), "', expected '",
                         want, "' (delete the file to train a new classifier)");
    };
    expect("format", kFormat);
    expect("dataset", dataset);
    expect("in_shape", shape_text(shape));
    expect("num_classes", std::to_string(train.num_classes()));
    const std::string trained_on = field("data_fingerprint");
    check<FormatError>(trained_on == fingerprint, "'", path, "' is a classifier of other ", dataset,
                       " images (metadata field 'data_fingerprint' is '", excerpt(trained_on), "', these images give '",
                       fingerprint, "'): its features would not measure these; pass another file or delete it to ",
                       "train a new classifier");
    f.net->load_state_dict(file.tensors);  // strict: names and shapes must match ResNet-20's
    try {
      f.test_accuracy = std::stod(field("test_accuracy"));
      f.train_images = std::stoll(field("train_images"));
      f.epochs = std::stoll(field("epochs"));
    } catch (const std::logic_error&) {
      throw FormatError(str_cat("'", path, "': metadata fields test_accuracy, train_images and epochs must be numbers"));
    }
    f.net->eval();
    return f;
  }
  const data::ImageDataset tr = renormalised(train, norm, t.max_train_images);
  const data::ImageDataset te = renormalised(test, norm, -1);
  auto opt = optim::make_optimizer("sgd", f.net->arena(),
                                   std::map<std::string, std::string>{{"lr", std::to_string(t.lr)},
                                                                      {"momentum", "0.9"},
                                                                      {"weight_decay", "5e-4"}});
  train::TrainerOptions to;
  to.epochs = t.epochs;
  to.batch_size = t.batch_size;
  to.seed = t.seed;
  to.progress = t.progress;
  to.print_epochs = false;
  to.schedule.kind = optim::Schedule::Kind::kCosine;
  train::Trainer trainer(*f.net, *opt, to);
  trainer.fit(tr, nullptr);
  f.test_accuracy = trainer.evaluate(te).accuracy;
  f.train_images = tr.size();
  f.epochs = t.epochs;
  f.trained_now = true;
  f.net->eval();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  io::save_safetensors(path, f.net->state_dict(),
                       {{"format", kFormat},
                        {"dataset", dataset},
                        {"in_shape", shape_text(shape)},
                        {"num_classes", std::to_string(train.num_classes())},
                        {"data_fingerprint", fingerprint},
                        {"test_accuracy", str_cat(f.test_accuracy)},
                        {"train_images", std::to_string(f.train_images)},
                        {"epochs", std::to_string(t.epochs)}});
  return f;
}

Tensor fid_features(FidFeatureNet& f, const Tensor& images, int64_t batch_size) {
  check<ShapeError>(images.dim() == 4 && images.size(1) == f.net->stem->in_channels, "FID features: expected images [N, ",
                    f.net->stem->in_channels, ", H, W], got ", fmt(images.shape()));
  NoGradGuard ng;
  f.net->eval();
  const int64_t n = images.size(0), c = images.size(1);
  // (x - mean_c) / std_c as the classifier was trained.
  std::vector<double> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double sd = per_channel(f.norm.stddev, ch, 1.0);
    scale[static_cast<size_t>(ch)] = 1.0 / sd;
    shift[static_cast<size_t>(ch)] = -per_channel(f.norm.mean, ch, 0.0) / sd;
  }
  const Tensor sc = Tensor::from_vector(scale).to(kFloat32).reshape({1, c, 1, 1});
  const Tensor sh = Tensor::from_vector(shift).to(kFloat32).reshape({1, c, 1, 1});
  std::vector<Tensor> parts;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    const Tensor x = images.slice(0, b, e).to(kFloat32).contiguous() * sc + sh;
    parts.push_back(f.net->features(x).contiguous());
  }
  return cat(parts, 0);
}

analysis::GaussianFit fid_fit(FidFeatureNet& f, const Tensor& images) { return analysis::fit_gaussian(fid_features(f, images)); }

namespace {
std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
}  // namespace

double FidReference::fid(const Tensor& images) const {
  check<ValueError>(net != nullptr, "FidReference: no classifier");
  std::vector<float> v = images.to(kCPU).to(kFloat32).contiguous().to_vector<float>();
  for (float& x : v) x = std::isnan(x) ? x : std::clamp(x, 0.0f, 1.0f);  // NaN stays: the fit refuses it
  return analysis::frechet_distance(fid_fit(*net, Tensor::from_vector(v).reshape(images.shape())), reference);
}

std::string FidReference::label() const {
  return str_cat("FID, momenta classifier features (ResNet-20 on ", net ? net->dataset : "?", ", test accuracy ",
                 fixed2(100.0 * (net ? net->test_accuracy : 0.0)), "%; ", n, " samples vs ", reference_images,
                 " test images)");
}

FidReference make_fid_reference(FidFeatureNet& f, const data::ImageDataset& train, const data::ImageDataset& test,
                                int64_t n, int64_t reference_images, uint64_t seed) {
  check<ValueError>(n >= 2 && n <= train.size(), "FID: the sample count must be in [2, ", train.size(),
                    "] (the training images the floor uses), got ", n);
  FidReference r;
  r.net = &f;
  r.n = n;
  const Tensor ref = images01(test, reference_images);
  r.reference_images = ref.size(0);
  check<ValueError>(r.reference_images >= 2, "FID: at least 2 reference images are needed");
  r.reference = fid_fit(f, ref);
  r.floor = r.fid(images01(train, n));
  Generator gen(seed ^ 0x6e6f697365ULL);  // "noise"
  const Shape s = train.sample_shape();
  r.noise = r.fid(rand({n, s[0], s[1], s[2]}, kFloat32, gen));
  return r;
}

}  // namespace momenta::models
