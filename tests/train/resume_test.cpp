// A run stopped after an epoch and resumed from its checkpoint must continue bit-exactly.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/mlp.h"
#include "momenta/data/augment.h"
#include "momenta/data/dataset.h"
#include "momenta/nn/conv_layers.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/registry.h"
#include "momenta/train/trainer.h"

#include "toy_data.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

struct TrainingRig {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::Averager> avg;
};

struct RunSpec {
  std::string optim = "adam";
  std::map<std::string, std::string> hp{{"lr", "0.01"}};
  std::vector<std::string> groups;  // CLI form, e.g. "@1d:lr=0.02"
  std::string average;              // "" for none
  optim::HyperParams avg_hp;
};

TrainingRig make_run(uint64_t init_seed, const RunSpec& spec = {}) {
  manual_seed(init_seed);
  TrainingRig r;
  r.model = models::make_mlp({64, {16}, 3, nn::Activation::kReLU, 0.2});  // dropout draws from the RNG
  r.model->finalize();
  r.opt = optim::make_optimizer(spec.optim, r.model->arena(), spec.hp);
  if (!spec.groups.empty())
    optim::apply_param_groups(*r.opt, optim::make_param_groups(r.model->arena(), optim::parse_group_rules(spec.groups)));
  if (!spec.average.empty()) r.avg = optim::make_averager(spec.average, r.model->arena(), spec.avg_hp);
  return r;
}

// Three epochs of batch 32 under a cosine schedule, without output.
train::TrainerOptions three_quiet_epochs() {
  train::TrainerOptions o;
  o.epochs = 3;
  o.batch_size = 32;
  o.seed = 5;
  o.progress = false;
  o.print_epochs = false;
  o.schedule.kind = optim::Schedule::Kind::kCosine;
  return o;
}

}  // namespace

TEST(Resume, ContinuesBitExactly) {
  const fs::path dir = fs::temp_directory_path() / ("momenta_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const data::ImageDataset train = toy_images(1, 200, 1), test = toy_images(2, 50, 1);
  train::TrainerOptions base = three_quiet_epochs();

  // Run A: three epochs straight; keep the checkpoint written after epoch 1.
  TrainingRig a = make_run(11);
  train::TrainerOptions oa = base;
  oa.checkpoint = (dir / "a.safetensors").string();
  oa.on_epoch_start = [&](int64_t epoch, optim::Optimizer&) {
    if (epoch == 1) fs::copy_file(oa.checkpoint, dir / "after_epoch1.safetensors");
  };
  train::Trainer ta(*a.model, *a.opt, oa);
  const auto ra = ta.fit(train, &test);

  // Run B: a different initialisation, resumed from A's epoch-1 checkpoint.
  TrainingRig b = make_run(99);
  train::TrainerOptions ob = base;
  ob.resume_from = (dir / "after_epoch1.safetensors").string();
  train::Trainer tb(*b.model, *b.opt, ob);
  const auto rb = tb.fit(train, &test);

  ASSERT_EQ(ra.size(), 3u);
  ASSERT_EQ(rb.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rb[i].epoch, ra[i + 1].epoch);
    EXPECT_EQ(rb[i].train_loss, ra[i + 1].train_loss) << "epoch " << rb[i].epoch;
    EXPECT_EQ(rb[i].test.loss, ra[i + 1].test.loss);
  }
  EXPECT_EQ(a.model->arena().params().to_vector<float>(), b.model->arena().params().to_vector<float>());
  EXPECT_EQ(ta.global_step(), tb.global_step());
  fs::remove_all(dir);
}

// Groups with their own learning rate, a hyperparameter schedule on the look-ahead sigma and a
// BELAY averager: all of it must be in the checkpoint for the resumed run to match.
TEST(Resume, ContinuesBitExactlyWithGroupsScheduleAndAverager) {
  const fs::path dir = fs::temp_directory_path() / ("momenta_resume_full_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const data::ImageDataset train = toy_images(1, 200, 1), test = toy_images(2, 50, 1);
  RunSpec spec;
  spec.optim = "super_accel";
  spec.hp = {{"lr", "0.05"}, {"sigma", "4"}};
  spec.groups = {"@1d:lr=0.02"};
  spec.average = "belay";
  spec.avg_hp = {{"k", {1.0}}, {"m1", {10.0}}, {"m2", {20.0}}};
  train::TrainerOptions base = three_quiet_epochs();
  base.hp_schedules = {optim::parse_hp_schedule("sigma=5:2")};

  TrainingRig a = make_run(11, spec);
  ASSERT_GT(a.opt->groups().size(), 1u);
  train::TrainerOptions oa = base;
  oa.averager = a.avg.get();
  oa.checkpoint = (dir / "a.safetensors").string();
  oa.on_epoch_start = [&](int64_t epoch, optim::Optimizer&) {
    if (epoch == 1) fs::copy_file(oa.checkpoint, dir / "after_epoch1.safetensors");
  };
  train::Trainer ta(*a.model, *a.opt, oa);
  const auto ra = ta.fit(train, &test);

  TrainingRig b = make_run(99, spec);
  train::TrainerOptions ob = base;
  ob.averager = b.avg.get();
  ob.resume_from = (dir / "after_epoch1.safetensors").string();
  train::Trainer tb(*b.model, *b.opt, ob);
  const auto rb = tb.fit(train, &test);

  ASSERT_EQ(rb.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rb[i].train_loss, ra[i + 1].train_loss) << "epoch " << rb[i].epoch;
    EXPECT_EQ(rb[i].test.loss, ra[i + 1].test.loss);
    EXPECT_GT(rb[i].avg_test.samples, 0);
    EXPECT_EQ(rb[i].avg_test.loss, ra[i + 1].avg_test.loss);
  }
  EXPECT_EQ(a.model->arena().params().to_vector<float>(), b.model->arena().params().to_vector<float>());
  EXPECT_EQ(a.avg->averaged().to_vector<float>(), b.avg->averaged().to_vector<float>());
  // The schedule reached its end value on the last step.
  EXPECT_DOUBLE_EQ(b.opt->hp(b.opt->groups().front(), "sigma"), 2.0);

  // Resuming without the averager, or with another one, is refused.
  TrainingRig c = make_run(3, RunSpec{spec.optim, spec.hp, spec.groups, "", {}});
  EXPECT_THROW(train::load_checkpoint(ob.resume_from, *c.model, *c.opt), FormatError);
  fs::remove_all(dir);
}

// A convolutional model with batch norm (running statistics are buffers in the checkpoint),
// crop-and-flip augmentation, SGD-momentum with decay and a multistep schedule: the stack of
// issue 5. The run that resumes from the epoch-1 checkpoint (what survives a kill) must produce
// the same losses as the uninterrupted one.
TEST(Resume, ConvNetWithBatchNormAndAugmentationContinuesBitExactly) {
  const fs::path dir = fs::temp_directory_path() / ("momenta_resume_conv_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const data::ImageDataset train = toy_images(1, 160, 1), test = toy_images(2, 40, 1);
  auto make = [](uint64_t seed) {
    manual_seed(seed);
    auto net = std::make_shared<nn::Sequential>();
    net->add(std::make_shared<nn::Conv2d>(1, 8, 3, 1, 1));
    net->add(std::make_shared<nn::BatchNorm2d>(8));
    net->add(std::make_shared<nn::ActivationLayer>(nn::Activation::kReLU));
    net->add(std::make_shared<nn::GlobalAvgPool>());
    net->add(std::make_shared<nn::Linear>(8, 3));
    net->finalize();
    auto opt = optim::make_optimizer("heavy_ball", net->arena(),
                                     std::map<std::string, std::string>{{"lr", "0.05"}, {"weight_decay", "5e-4"}});
    return std::make_pair(net, std::move(opt));
  };
  train::TrainerOptions base = three_quiet_epochs();
  base.schedule.kind = optim::Schedule::Kind::kMultiStep;
  base.schedule.milestones = {2 * 5};  // after epoch 2 (5 batches of 32 per epoch)
  base.augmentation = data::parse_augmentation("crop,flip", train.sample_shape());

  auto [net_a, opt_a] = make(11);
  train::TrainerOptions oa = base;
  oa.checkpoint = (dir / "a.safetensors").string();
  oa.on_epoch_start = [&](int64_t epoch, optim::Optimizer&) {
    if (epoch == 1) fs::copy_file(oa.checkpoint, dir / "after_epoch1.safetensors");
  };
  train::Trainer ta(*net_a, *opt_a, oa);
  const auto ra = ta.fit(train, &test);

  auto [net_b, opt_b] = make(99);
  train::TrainerOptions ob = base;
  ob.resume_from = (dir / "after_epoch1.safetensors").string();
  train::Trainer tb(*net_b, *opt_b, ob);
  const auto rb = tb.fit(train, &test);
  ASSERT_EQ(rb.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rb[i].train_loss, ra[i + 1].train_loss) << "epoch " << rb[i].epoch;
    EXPECT_EQ(rb[i].test.loss, ra[i + 1].test.loss);
  }
  const auto sa = net_a->state_dict(), sb = net_b->state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i)  // parameters and the batch-norm running statistics
    EXPECT_EQ(sa[i].second.to_vector<float>(), sb[i].second.to_vector<float>()) << sa[i].first;
  fs::remove_all(dir);
}

TEST(Resume, RejectsAMismatchedCheckpoint) {
  const fs::path dir = fs::temp_directory_path() / ("momenta_resume_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  TrainingRig a = make_run(1);
  train::save_checkpoint((dir / "c.safetensors").string(), *a.model, *a.opt, {1, 10, {0.01}, {}});
  manual_seed(1);
  auto other = models::make_mlp({64, {8}, 3, nn::Activation::kReLU, 0.0});
  other->finalize();
  auto opt = optim::make_optimizer("adam", other->arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
  EXPECT_THROW(train::load_checkpoint((dir / "c.safetensors").string(), *other, *opt), FormatError);
  auto sgd = optim::make_optimizer("sgd", a.model->arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
  EXPECT_THROW(train::load_checkpoint((dir / "c.safetensors").string(), *a.model, *sgd), FormatError);
  fs::remove_all(dir);
}
