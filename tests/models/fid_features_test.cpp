// The FID classifier: trained once and saved, reloaded when the file fits, refused when it does
// not; features of [0, 1] images; the Frechet distance separates two image populations.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/fid_features.h"
#include "momenta/error.h"
#include "momenta/io/safetensors.h"
#include "momenta/random.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

// n 1x8x8 images in 2 classes: class 0 dark with a bright left half, class 1 the mirror image.
data::ImageDataset halves(uint64_t seed, int64_t n) {
  Generator g(seed);
  const auto u = rand({n * 64}, kFloat64, g).to_vector<double>();
  std::vector<uint8_t> images(static_cast<size_t>(n * 64));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] = i % 2;
    for (int64_t p = 0; p < 64; ++p) {
      const bool left = p % 8 < 4, bright = (i % 2 == 0) == left;
      images[static_cast<size_t>(i * 64 + p)] = static_cast<uint8_t>((bright ? 150 : 0) + u[static_cast<size_t>(i * 64 + p)] * 100);
    }
  }
  return data::ImageDataset(images, {1, 8, 8}, labels, 2);
}

models::FidTraining quick_training() {
  models::FidTraining t;
  t.epochs = 2;
  t.batch_size = 32;
  t.progress = false;
  return t;
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("momenta_fid_" + std::to_string(::getpid()) + "_" + name);
}

}  // namespace

TEST(FidFeatures, TrainsOnceThenReloadsTheSameNetwork) {
  const fs::path path = temp_file("a.safetensors");
  fs::remove(path);
  const auto train = halves(1, 256), test = halves(2, 64);
  const data::Normalization norm{{0.4}, {0.3}};
  auto a = models::load_or_train_fid_net(path.string(), "halves", train, test, norm, quick_training());
  EXPECT_TRUE(a.trained_now);
  EXPECT_GT(a.test_accuracy, 0.9);  // the task is easy
  ASSERT_TRUE(fs::exists(path));
  auto b = models::load_or_train_fid_net(path.string(), "halves", train, test, norm, quick_training());
  EXPECT_FALSE(b.trained_now);
  EXPECT_EQ(b.test_accuracy, a.test_accuracy);
  const Tensor x = models::images01(test, 16);
  EXPECT_EQ(models::fid_features(a, x).to_vector<float>(), models::fid_features(b, x).to_vector<float>());
  EXPECT_EQ(models::fid_features(a, x).shape(), (Shape{16, 64}));
  fs::remove(path);
}

TEST(FidFeatures, DistanceIsSmallWithinAPopulationAndLargeBetweenTwo) {
  const fs::path path = temp_file("b.safetensors");
  fs::remove(path);
  const auto train = halves(1, 256), test = halves(2, 200), more = halves(3, 200);
  auto f = models::load_or_train_fid_net(path.string(), "halves", train, test, {{0.4}, {0.3}}, quick_training());
  const auto fit_test = models::fid_fit(f, models::images01(test));
  const auto fit_more = models::fid_fit(f, models::images01(more));
  // Uniform noise images: what an untrained sampler would give.
  Generator g(9);
  const auto fit_noise = models::fid_fit(f, rand({200, 1, 8, 8}, kFloat32, g));
  const double same = analysis::frechet_distance(fit_test, fit_more);
  const double noise = analysis::frechet_distance(fit_test, fit_noise);
  EXPECT_LT(same * 10, noise) << "same population " << same << ", noise " << noise;
  fs::remove(path);
}

TEST(FidFeatures, RefusesAFileOfAnotherDatasetOrShape) {
  const fs::path path = temp_file("c.safetensors");
  fs::remove(path);
  const auto train = halves(1, 64), test = halves(2, 16);
  models::load_or_train_fid_net(path.string(), "halves", train, test, {}, quick_training());
  EXPECT_THROW(models::load_or_train_fid_net(path.string(), "other", train, test, {}, quick_training()), FormatError);
  // Metadata that claims to be a classifier but lacks a field.
  const auto file = io::load_safetensors(path.string());
  auto meta = file.metadata;
  meta.erase("test_accuracy");
  io::save_safetensors(path.string(), file.tensors, meta);
  EXPECT_THROW(models::load_or_train_fid_net(path.string(), "halves", train, test, {}, quick_training()), FormatError);
  // A plain model file is not a classifier file.
  io::save_safetensors(path.string(), file.tensors, {{"format", "momenta-model"}});
  EXPECT_THROW(models::load_or_train_fid_net(path.string(), "halves", train, test, {}, quick_training()), FormatError);
  fs::remove(path);
}

// Two image sets under one dataset name (two --data folders, say) must not share a classifier:
// its features were fitted to other images, and a FID measured with it would be silently off.
TEST(FidFeatures, RefusesAFileTrainedOnOtherImagesOfTheSameDataset) {
  const fs::path path = temp_file("e.safetensors");
  fs::remove(path);
  const auto train = halves(1, 64), test = halves(2, 16), other = halves(5, 64);
  models::load_or_train_fid_net(path.string(), "halves", train, test, {}, quick_training());
  try {
    models::load_or_train_fid_net(path.string(), "halves", other, test, {}, quick_training());
    ADD_FAILURE() << "a classifier of other images was reused";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("classifier of other halves images"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("data_fingerprint"), std::string::npos) << e.what();
  }
  // Another test split is other data too; the same images under another normalisation are not.
  EXPECT_THROW(models::load_or_train_fid_net(path.string(), "halves", train, other, {}, quick_training()), FormatError);
  const data::ImageDataset renormed(train.images(), train.sample_shape(), train.labels(), 2, {{0.5}, {0.25}});
  EXPECT_FALSE(models::load_or_train_fid_net(path.string(), "halves", renormed, test, {}, quick_training()).trained_now);
  fs::remove(path);
}

TEST(FidFeatures, FingerprintNamesTheCacheFileAfterTheImages) {
  const auto a = halves(1, 64), b = halves(5, 64), test = halves(2, 16);
  const std::string fa = models::fid_data_fingerprint(a, test), fb = models::fid_data_fingerprint(b, test);
  EXPECT_EQ(fa.size(), 16u);
  EXPECT_EQ(fa, models::fid_data_fingerprint(halves(1, 64), halves(2, 16)));  // a function of the data alone
  EXPECT_NE(fa, fb);
  EXPECT_NE(fa, models::fid_data_fingerprint(test, a));  // which split is which matters
  const std::string pa = models::fid_net_cache_path("halves", fa, "/tmp"), pb = models::fid_net_cache_path("halves", fb, "/tmp");
  EXPECT_NE(pa, pb);
  EXPECT_NE(pa.find("fid-classifier-halves-" + fa.substr(0, 12) + ".safetensors"), std::string::npos) << pa;
}

TEST(FidFeatures, ReferenceGivesTheFloorAndTheNoiseAtTheSampleCount) {
  const fs::path path = temp_file("d.safetensors");
  fs::remove(path);
  const auto train = halves(1, 256), test = halves(2, 200), more = halves(3, 100);
  auto f = models::load_or_train_fid_net(path.string(), "halves", train, test, {{0.4}, {0.3}}, quick_training());
  const auto ref = models::make_fid_reference(f, train, test, 100, -1, 5);
  EXPECT_EQ(ref.n, 100);
  EXPECT_EQ(ref.reference_images, 200);
  EXPECT_GT(ref.floor, 0.0);  // finite samples: the distance is biased upwards
  EXPECT_LT(ref.floor * 10, ref.noise) << "floor " << ref.floor << ", noise " << ref.noise;
  // Another 100 images of the same population score near the floor, far below the noise.
  const double same = ref.fid(models::images01(more));
  EXPECT_LT(same, ref.noise / 10);
  // Values outside [0, 1] are clamped: images of 2 measure as images of 1, -1 as 0.
  const Tensor ones = Tensor::full({100, 1, 8, 8}, 1.0), twos = Tensor::full({100, 1, 8, 8}, 2.0);
  EXPECT_DOUBLE_EQ(ref.fid(twos), ref.fid(ones));
  EXPECT_DOUBLE_EQ(ref.fid(Tensor::full({100, 1, 8, 8}, -1.0)), ref.fid(Tensor::full({100, 1, 8, 8}, 0.0)));
  EXPECT_NE(ref.label().find("FID, momenta classifier features"), std::string::npos);
  EXPECT_NE(ref.label().find("100 samples vs 200 test images"), std::string::npos);
  // The same seed gives the same noise figure; the sample count is checked.
  EXPECT_EQ(models::make_fid_reference(f, train, test, 100, -1, 5).noise, ref.noise);
  EXPECT_THROW(models::make_fid_reference(f, train, test, 1), ValueError);
  EXPECT_THROW(models::make_fid_reference(f, train, test, 257), ValueError);
  fs::remove(path);
}
