// The Trainer with an objective other than classification (NOTE [objectives]): a denoising
// objective that draws noise from the generator the Trainer gives it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "models/mlp.h"
#include "momenta/ops.h"
#include "momenta/nn/layers.h"
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

// Least squares through the Trainer: y = 3 x1 - 2 x2 + 1, exactly representable, a float64
// linear model. The first evaluation is the mean squared error computed by hand; full-batch
// gradient descent then reaches the exact coefficients.
TEST(TrainerObjective, MeanSquaredErrorFitsALinearModelInFloat64) {
  std::vector<float> x, y;
  for (int i = 0; i < 20; ++i) {
    const float x1 = static_cast<float>(i % 5) * 0.25f, x2 = static_cast<float>(i / 5) * 0.5f - 1.0f;
    x.push_back(x1);
    x.push_back(x2);
    y.push_back(3.0f * x1 - 2.0f * x2 + 1.0f);
  }
  const data::RegressionDataset ds(x, Shape{2}, y, 1);
  Generator gen(3);
  nn::Linear model(2, 1, true, gen);
  model.finalize(kFloat64);
  model.arena().params().copy_from_host(std::vector<double>{0.5, 0.25, -1.0}.data(), 3 * sizeof(double));
  auto opt = optim::make_optimizer("sgd", model.arena(), {{"lr", "0.2"}});
  train::TrainerOptions o = quiet(3000);
  o.batch_size = 20;
  o.objective = std::make_shared<train::MeanSquaredErrorObjective>();
  EXPECT_EQ(o.objective->name(), "mse");
  train::Trainer t(model, *opt, o);
  double expect = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double r = 0.5 * x[2 * i] + 0.25 * x[2 * i + 1] - 1.0 - y[i];
    expect += r * r / 20.0;
  }
  const train::EvalResult before = t.evaluate(ds);
  EXPECT_NEAR(before.loss, expect, 1e-14 * expect);
  EXPECT_FALSE(before.has_accuracy);
  EXPECT_EQ(before.samples, 20);
  t.fit(ds, &ds);
  const std::vector<double> w = model.arena().params().to_vector<double>();  // weight (1, 2), then bias
  EXPECT_NEAR(w[0], 3.0, 1e-9);
  EXPECT_NEAR(w[1], -2.0, 1e-9);
  EXPECT_NEAR(w[2], 1.0, 1e-9);
  EXPECT_LT(t.evaluate(ds).loss, 1e-18);
}

TEST(TrainerObjective, MeanSquaredErrorRefusesLabelsAndMisshapenOutputs) {
  const data::ImageDataset labelled = toy_images(1, 10);
  auto model = autoencoder(7);
  auto opt = optim::make_optimizer("sgd", model->arena(), {{"lr", "0.1"}});
  train::TrainerOptions o = quiet(1);
  o.objective = std::make_shared<train::MeanSquaredErrorObjective>();
  train::Trainer t(*model, *opt, o);
  try {
    t.evaluate(labelled);
    FAIL() << "a batch without targets was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("mse objective: the batch has no targets"), std::string::npos) << e.what();
  }
  // Two outputs against one target per sample.
  const data::RegressionDataset ds(std::vector<float>(20, 0.5f), Shape{2}, std::vector<float>(10, 1.0f), 1);
  Generator gen(1);
  nn::Linear two(2, 2, true, gen);
  two.finalize();
  auto opt2 = optim::make_optimizer("sgd", two.arena(), {{"lr", "0.1"}});
  train::Trainer t2(two, *opt2, o);
  try {
    t2.evaluate(ds);
    FAIL() << "an output of another shape was accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("is not shaped like the targets"), std::string::npos) << e.what();
  }
}
