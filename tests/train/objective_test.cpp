// The Trainer with an objective other than classification (NOTE [objectives]): a denoising
// objective that draws noise from the generator the Trainer gives it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "models/mlp.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"
#include "momenta/train/objective.h"
#include "momenta/train/trainer.h"

#include "toy_data.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

// Reconstructs a flattened image from a noisy copy: loss = mean (model(x + 0.3 z) - x)^2, with
// z drawn from `gen`. It has no accuracy.
class Denoise final : public train::Objective {
 public:
  std::string name() const override { return "toy_denoise"; }
  Tensor loss(nn::Module& model, const data::Batch& batch, Generator& gen) const override {
    const Tensor x = batch.images.reshape({batch.images.size(0), -1});
    const Tensor noisy = x + randn(x.shape(), x.dtype(), gen) * 0.3;
    return mse_loss(model(noisy), x);
  }
};

train::TrainerOptions quiet(int64_t epochs) {
  train::TrainerOptions o;
  o.epochs = epochs;
  o.batch_size = 25;
  o.seed = 3;
  o.progress = false;
  o.print_epochs = false;
  o.objective = std::make_shared<Denoise>();
  return o;
}

std::shared_ptr<nn::Sequential> autoencoder(uint64_t seed) {
  manual_seed(seed);
  auto m = models::make_mlp({64, {16}, 64, nn::Activation::kReLU, 0.0});
  m->finalize();
  return m;
}

}  // namespace

TEST(TrainerObjective, DenoisingObjectiveTrainsAndReportsNoAccuracy) {
  const data::ImageDataset train = toy_images(1, 200), test = toy_images(2, 50);
  auto model = autoencoder(7);
  auto opt = optim::make_optimizer("adam", model->arena(), {{"lr", "0.01"}});
  std::vector<train::EpochResult> seen;
  train::TrainerOptions o = quiet(4);
  o.on_epoch_end = [&](const train::EpochResult& r) { seen.push_back(r); };
  train::Trainer t(*model, *opt, o);
  const auto res = t.fit(train, &test);
  ASSERT_EQ(res.size(), 4u);
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < res.size(); ++i) {
    EXPECT_EQ(seen[i].test.loss, res[i].test.loss);
    EXPECT_FALSE(res[i].test.has_accuracy);
    EXPECT_EQ(res[i].test.samples, 50);
  }
  EXPECT_LT(res.back().train_loss, 0.6 * res.front().train_loss);
  // The test loss is measured on the same noise every time: evaluating twice gives one number.
  EXPECT_EQ(t.evaluate(test).loss, t.evaluate(test).loss);
  EXPECT_EQ(t.evaluate(test).loss, res.back().test.loss);
}

TEST(TrainerObjective, ClassificationReportsAccuracy) {
  const data::ImageDataset train = toy_images(1, 100, 1), test = toy_images(2, 50, 1);
  manual_seed(1);
  auto model = models::make_mlp({64, {16}, 3, nn::Activation::kReLU, 0.0});
  model->finalize();
  auto opt = optim::make_optimizer("sgd", model->arena(), {{"lr", "0.1"}});
  train::TrainerOptions o = quiet(1);
  o.objective = std::make_shared<train::ClassificationObjective>(train::Loss::kQuadratic);
  train::Trainer t(*model, *opt, o);
  const auto r = t.evaluate(test);
  EXPECT_TRUE(r.has_accuracy);
  EXPECT_GE(r.accuracy, 0.0);
  EXPECT_LE(r.accuracy, 1.0);
  EXPECT_EQ(o.objective->name(), "quadratic");
}

// The noise of step k comes from a generator keyed by the run's seed and k, so a resumed run
// draws what the uninterrupted run drew.
TEST(TrainerObjective, RandomObjectiveResumesBitExactly) {
  const fs::path dir = fs::temp_directory_path() / ("momenta_objective_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const data::ImageDataset train = toy_images(1, 100), test = toy_images(2, 50);

  auto a = autoencoder(11);
  auto oa_opt = optim::make_optimizer("adam", a->arena(), {{"lr", "0.01"}});
  train::TrainerOptions oa = quiet(3);
  oa.checkpoint = (dir / "a.safetensors").string();
  oa.on_epoch_start = [&](int64_t epoch, optim::Optimizer&) {
    if (epoch == 1) fs::copy_file(oa.checkpoint, dir / "after_epoch1.safetensors");
  };
  train::Trainer ta(*a, *oa_opt, oa);
  const auto ra = ta.fit(train, &test);

  auto b = autoencoder(99);
  auto ob_opt = optim::make_optimizer("adam", b->arena(), {{"lr", "0.01"}});
  train::TrainerOptions ob = quiet(3);
  ob.resume_from = (dir / "after_epoch1.safetensors").string();
  train::Trainer tb(*b, *ob_opt, ob);
  const auto rb = tb.fit(train, &test);

  ASSERT_EQ(rb.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(rb[i].train_loss, ra[i + 1].train_loss) << "epoch " << rb[i].epoch;
  EXPECT_EQ(a->arena().params().to_vector<float>(), b->arena().params().to_vector<float>());

  // A different run seed draws other noise: the same start gives another trajectory.
  auto c = autoencoder(11);
  auto oc_opt = optim::make_optimizer("adam", c->arena(), {{"lr", "0.01"}});
  train::TrainerOptions oc = quiet(3);
  oc.seed = 4;
  train::Trainer tc(*c, *oc_opt, oc);
  tc.fit(train, &test);
  EXPECT_NE(a->arena().params().to_vector<float>(), c->arena().params().to_vector<float>());
  fs::remove_all(dir);
}
