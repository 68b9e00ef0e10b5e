// The Trainer's evaluation of averaged weights in a model with batch norm: statistics re-estimated
// at the averaged weights over the training batches, the live model restored bit-exactly, and
// training itself unchanged.
#include "momenta/train/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "models/mlp.h"
#include "momenta/autograd.h"
#include "momenta/data/augment.h"
#include "momenta/nn/conv_layers.h"
#include "momenta/nn/layers.h"
#include "momenta/optim/registry.h"
#include "momenta/optim/schedule.h"

#include "toy_data.h"

using namespace momenta;

namespace {

// conv -> batch norm -> ReLU -> dropout (draws from the default generator) -> pool -> linear.
struct Rig {
  std::shared_ptr<nn::Sequential> net;
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::Linear> fc;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::Averager> avg;
};

Rig make_rig(const std::string& average) {
  manual_seed(3);
  Rig r;
  r.net = std::make_shared<nn::Sequential>();
  r.conv = r.net->add(std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1));
  r.bn = r.net->add(std::make_shared<nn::BatchNorm2d>(4));
  r.net->add(std::make_shared<nn::ActivationLayer>(nn::Activation::kReLU));
  r.net->add(std::make_shared<nn::Dropout>(0.3));
  r.net->add(std::make_shared<nn::GlobalAvgPool>());
  r.fc = r.net->add(std::make_shared<nn::Linear>(4, 3));
  r.net->finalize();
  r.opt = optim::make_optimizer("heavy_ball", r.net->arena(), std::map<std::string, std::string>{{"lr", "0.1"}});
  if (!average.empty()) r.avg = optim::make_averager(average, r.net->arena(), optim::HyperParams{});
  return r;
}

train::TrainerOptions quiet_options(const data::Dataset& train, optim::Averager* avg) {
  train::TrainerOptions o;
  o.epochs = 2;
  o.batch_size = 32;
  o.seed = 5;
  o.progress = false;
  o.print_epochs = false;
  o.augmentation = data::parse_augmentation("crop:1,flip", train.sample_shape());
  o.averager = avg;
  return o;
}

std::vector<std::vector<float>> model_state(const nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(t.to_vector<float>());
  return out;
}

// The test loss of `r`'s layers at weights `w`, with batch-norm statistics computed directly:
// the means over the trainer's batches of `epoch` of each batch's channel mean and unbiased
// variance at the convolution's output.
double reference_loss(Rig& r, const Tensor& w, const data::Dataset& train, const data::Dataset& test,
                      const train::TrainerOptions& o, int64_t epoch) {
  NoGradGuard ng;
  r.net->arena().params().copy_(w);
  data::DataLoader loader(train, {o.batch_size, true, false, o.seed, false}, o.augmentation);
  loader.start_epoch(epoch);
  std::vector<double> mu(4, 0.0), var(4, 0.0);
  const double batches = static_cast<double>(loader.num_batches());
  data::Batch b;
  while (loader.next(b)) {
    const Tensor h = r.conv->forward(b.images);
    const Tensor m = mean(h, {0, 2, 3}, true);
    const auto mv = m.reshape({4}).to_vector<float>();
    const auto vv = mean(square(h - m), {0, 2, 3}).to_vector<float>();
    const double count = static_cast<double>(h.numel() / 4);
    for (size_t c = 0; c < 4; ++c) {
      mu[c] += mv[c] / batches;
      var[c] += vv[c] * count / (count - 1.0) / batches;
    }
  }
  data::DataLoader test_loader(test, {test.size(), false, false, 0, false});
  test_loader.start_epoch(0);
  EXPECT_TRUE(test_loader.next(b));
  const Tensor rm = Tensor::from_vector(std::vector<float>(mu.begin(), mu.end()), {4});
  const Tensor rv = Tensor::from_vector(std::vector<float>(var.begin(), var.end()), {4});
  const Tensor h = batch_norm(r.conv->forward(b.images), r.bn->weight, r.bn->bias, rm, rv, false, 0.0, r.bn->eps);
  return cross_entropy(r.fc->forward(global_avg_pool2d(relu(h))), b.labels).item();
}

}  // namespace

TEST(TrainerAveragedBatchNorm, EvaluatesWithStatisticsOfTheAverageAndRestoresTheModel) {
  const data::ImageDataset train = toy_images(1, 128, 9), test = toy_images(2, 40, 9);
  Rig r = make_rig("swa");
  const train::TrainerOptions o = quiet_options(train, r.avg.get());
  train::Trainer trainer(*r.net, *r.opt, o);
  const auto results = trainer.fit(train, &test);
  ASSERT_EQ(results.size(), 2u);

  const auto live = model_state(*r.net);
  const uint64_t offset = default_generator().offset();
  const train::EvalResult avg = trainer.evaluate_averaged(test, &train, 1);
  // fit() evaluated the average the same way after its last epoch.
  EXPECT_EQ(avg.loss, results.back().avg_test.loss);
  EXPECT_EQ(avg.accuracy, results.back().avg_test.accuracy);
  // Weights and running statistics are back bit for bit, also after a failure inside.
  EXPECT_EQ(model_state(*r.net), live);
  EXPECT_THROW(trainer.with_averaged_weights([] { throw IOError("disk full"); }, &train, 1), IOError);
  EXPECT_EQ(model_state(*r.net), live);
  EXPECT_EQ(default_generator().offset(), offset);
  EXPECT_TRUE(r.net->is_training());

  // Inside, the model holds the average and its own statistics.
  trainer.with_averaged_weights(
      [&] {
        EXPECT_EQ(r.net->arena().params().to_vector<float>(), r.avg->averaged().to_vector<float>());
        EXPECT_NE(r.bn->running_mean.to_vector<float>(), live[live.size() - 2]);
      },
      &train, 1);

  const Tensor w = r.avg->averaged().clone();
  const train::EvalResult stale = trainer.evaluate_averaged(test);  // the live model's statistics
  const double want = reference_loss(r, w, train, test, o, 1);
  EXPECT_NEAR(avg.loss, want, 1e-5 * std::abs(want));
  EXPECT_GT(std::abs(stale.loss - want), 1e-3) << "the live statistics should not fit the average";
}

// The re-estimation gathers its own batches and draws no random numbers: training with an
// averager and re-estimated statistics follows the same trajectory as training without one.
TEST(TrainerAveragedBatchNorm, LeavesTrainingUnchanged) {
  const data::ImageDataset train = toy_images(1, 128, 9), test = toy_images(2, 40, 9);
  Rig plain = make_rig("");
  train::Trainer tp(*plain.net, *plain.opt, quiet_options(train, nullptr));
  const auto rp = tp.fit(train, &test);
  const uint64_t plain_offset = default_generator().offset();

  Rig averaged = make_rig("ema");
  train::TrainerOptions o = quiet_options(train, averaged.avg.get());
  o.avg_bn_batches = 3;
  train::Trainer ta(*averaged.net, *averaged.opt, o);
  const auto ra = ta.fit(train, &test);

  ASSERT_EQ(rp.size(), ra.size());
  for (size_t i = 0; i < rp.size(); ++i) {
    EXPECT_EQ(rp[i].train_loss, ra[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(rp[i].test.loss, ra[i].test.loss);
    EXPECT_GT(ra[i].avg_test.samples, 0);
  }
  EXPECT_EQ(model_state(*plain.net), model_state(*averaged.net));
  EXPECT_EQ(default_generator().offset(), plain_offset);
}

TEST(TrainerAveragedBatchNorm, RejectsABadBatchCount) {
  Rig r = make_rig("swa");
  const data::ImageDataset train = toy_images(1, 8, 9);
  train::TrainerOptions o = quiet_options(train, r.avg.get());
  o.avg_bn_batches = -2;
  EXPECT_THROW({ train::Trainer t(*r.net, *r.opt, o); }, ValueError);
}

// TrainerOptions::eval_every_steps: the test set measured at step 0, every 3rd step and each
// epoch's end (once per step count), each value the evaluation at the weights of that step, and
// training (batches, dropout's random numbers, weights) the same as without it.
TEST(TrainerStepEvaluation, MeasuresEveryNthStepWithoutChangingTraining) {
  const data::ImageDataset train = toy_images(1, 128, 9), test = toy_images(2, 40, 9);  // 4 batches of 32
  // The plain run measures the test set itself after every step, from on_step.
  Rig plain = make_rig("");
  const double at_start = [&] {
    train::Trainer t(*plain.net, *plain.opt, quiet_options(train, nullptr));
    return t.evaluate(test).loss;
  }();
  std::map<int64_t, double> by_hand;
  train::TrainerOptions po = quiet_options(train, nullptr);
  train::Trainer* tp_ptr = nullptr;
  po.on_step = [&](const train::StepEvent& e) { by_hand[e.step + 1] = tp_ptr->evaluate(test).loss; };
  train::Trainer tp(*plain.net, *plain.opt, po);
  tp_ptr = &tp;
  const auto rp = tp.fit(train, &test);
  const uint64_t plain_offset = default_generator().offset();

  Rig stepped = make_rig("");
  train::TrainerOptions so = quiet_options(train, nullptr);
  so.eval_every_steps = 3;
  std::vector<std::pair<int64_t, double>> seen;
  so.on_eval = [&](int64_t steps, const train::EvalResult& r) {
    EXPECT_EQ(r.samples, 40);
    EXPECT_TRUE(r.has_accuracy);
    seen.emplace_back(steps, r.loss);
  };
  train::Trainer ts(*stepped.net, *stepped.opt, so);
  const auto rs = ts.fit(train, &test);

  ASSERT_EQ(seen.size(), 5u);
  const int64_t expected_steps[] = {0, 3, 4, 6, 8};
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, expected_steps[i]);
    EXPECT_EQ(seen[i].second, i == 0 ? at_start : by_hand.at(seen[i].first)) << "at step " << seen[i].first;
  }
  ASSERT_EQ(rp.size(), rs.size());
  for (size_t i = 0; i < rp.size(); ++i) {
    EXPECT_EQ(rp[i].train_loss, rs[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(rp[i].test.loss, rs[i].test.loss);
  }
  EXPECT_EQ(seen[2].second, rs[0].test.loss);  // the epoch's own evaluation is the one at step 4
  EXPECT_EQ(model_state(*plain.net), model_state(*stepped.net));
  EXPECT_EQ(default_generator().offset(), plain_offset);

  so.eval_every_steps = -1;
  EXPECT_THROW({ train::Trainer t(*stepped.net, *stepped.opt, so); }, ValueError);
}

// lr is a column of every metrics record; a run that also schedules it (--hp-schedule lr=...)
// once failed after its first epoch with "metrics: key 'lr' repeated in a record".
TEST(TrainerMetrics, AScheduledLearningRateIsLoggedOnce) {
  manual_seed(1);
  auto model = models::make_mlp({64, {8}, 3, nn::Activation::kReLU, 0.0});
  model->finalize();
  auto opt = optim::make_optimizer("sgd", model->arena(), std::map<std::string, std::string>{{"lr", "0.1"}});
  const std::filesystem::path jsonl =
      std::filesystem::temp_directory_path() / ("momenta_scheduled_lr_" + std::to_string(::getpid()) + ".jsonl");
  train::TrainerOptions o;
  o.epochs = 2;
  o.batch_size = 100;  // one step per epoch: lr 0 at step 0, 0.2 at step 1
  o.progress = false;
  o.print_epochs = false;
  o.schedule.kind = optim::Schedule::Kind::kConstant;
  o.hp_schedules = {optim::parse_hp_schedule("lr=0:0.2")};
  o.metrics_jsonl = jsonl.string();
  train::Trainer(*model, *opt, o).fit(toy_images(1, 100, 1), nullptr);
  std::ifstream in(jsonl);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::filesystem::remove(jsonl);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"lr\":0.0,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"lr\":0.2"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].find("\"lr\"", lines[1].find("\"lr\"") + 1), std::string::npos) << lines[1];
}

// TrainerOptions::epoch_metrics: its fields join the epoch's record in both files, after the
// trainer's own, and a CSV column exists for them from the first record on.
TEST(TrainerMetrics, EpochMetricsHookAddsFieldsToTheEpochsRecord) {
  manual_seed(1);
  auto model = models::make_mlp({64, {8}, 3, nn::Activation::kReLU, 0.0});
  model->finalize();
  auto opt = optim::make_optimizer("sgd", model->arena(), std::map<std::string, std::string>{{"lr", "0.1"}});
  const std::filesystem::path base =
      std::filesystem::temp_directory_path() / ("momenta_epoch_metrics_" + std::to_string(::getpid()));
  train::TrainerOptions o;
  o.epochs = 2;
  o.batch_size = 100;
  o.progress = false;
  o.print_epochs = false;
  o.metrics_jsonl = base.string() + ".jsonl";
  o.metrics_csv = base.string() + ".csv";
  std::vector<int64_t> seen;
  o.epoch_metrics = [&](const train::EpochResult& r, io::MetricsRecord& rec) {
    seen.push_back(r.epoch);
    rec.emplace_back("extra", r.epoch == 2 ? 7.5 : std::nan(""));
  };
  train::Trainer(*model, *opt, o).fit(toy_images(1, 100, 1), nullptr);
  const auto lines = [](const std::string& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    std::filesystem::remove(p);
    return out;
  };
  const auto jsonl = lines(o.metrics_jsonl), csv = lines(o.metrics_csv);
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(jsonl.size(), 2u);
  EXPECT_NE(jsonl[0].find(",\"extra\":null}"), std::string::npos) << jsonl[0];
  EXPECT_NE(jsonl[1].find(",\"extra\":7.5}"), std::string::npos) << jsonl[1];
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_NE(csv[0].find(",extra"), std::string::npos) << csv[0];
  EXPECT_EQ(csv[1].substr(csv[1].rfind(',') + 1), "nan") << csv[1];
  EXPECT_EQ(csv[2].substr(csv[2].rfind(',') + 1), "7.5") << csv[2];
}
