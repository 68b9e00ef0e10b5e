// NOTE [non-finite numbers] (optim/finite_check.h): a run whose gradients or parameters become
// non-finite stops at that step, naming the first tensor affected, and keeps its last checkpoint.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "momenta/autograd.h"
#include "momenta/io/safetensors.h"
#include "momenta/nn/layers.h"
#include "momenta/ops.h"
#include "momenta/optim/averager.h"
#include "momenta/parse.h"
#include "momenta/optim/finite_check.h"
#include "momenta/optim/registry.h"
#include "momenta/train/trainer.h"

#include "data/temp_dir.h"
#include "toy_data.h"

using namespace momenta;

namespace {

// A linear classifier with two traps, sprung at the training step `arm_step`:
// - "trap" adds sum(sqrt(trap * mask)) to the logits, mask (1, 1, 0, 1): a finite value (3), and
//   at the step it is armed a NaN gradient at element 2 (d sqrt(0 * t) = inf * 0);
// - "spare" is not used by the forward; at the armed step the forward writes inf into its
//   element 1, as an averager writing weights could.
class TrapNet : public nn::Module {
 public:
  enum class Trap { kGradient, kParameter };
  explicit TrapNet(Trap kind) : trap_kind(kind) {
    fc = register_module("fc", std::make_shared<nn::Linear>(64, 3));
    trap = register_parameter("trap", Tensor::ones({4}));
    spare = register_parameter("spare", Tensor::zeros({3}));
  }
  Tensor forward(const Tensor& x) override {
    Tensor out = (*fc)(x.reshape({x.size(0), 64}));
    if (!is_training() || calls++ != arm_step) return out;
    if (trap_kind == Trap::kGradient) {
      const Tensor mask = Tensor::from_vector<float>({1, 1, 0, 1});
      return out + sum(sqrt(trap * mask));
    }
    NoGradGuard ng;
    spare.data<float>()[1] = std::numeric_limits<float>::infinity();
    return out;
  }
  std::shared_ptr<nn::Linear> fc;
  Tensor trap, spare;
  Trap trap_kind;
  int64_t arm_step = 9;  // 7 batches per epoch below: the third step of epoch 2
  int64_t calls = 0;
};

class NonFinite : public data::testing::TempDirTest {
 protected:
  // Trains TrapNet for 3 epochs (200 samples, batch 32: 7 steps each) and returns the error.
  std::string run(TrapNet::Trap trap) {
    manual_seed(3);
    TrapNet net(trap);
    net.finalize();
    auto opt = optim::make_optimizer("adam", net.arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
    train::TrainerOptions o;
    o.epochs = 3;
    o.batch_size = 32;
    o.progress = false;
    o.print_epochs = false;
    o.checkpoint = path("checkpoint.safetensors");
    train::Trainer t(net, *opt, o);
    const data::ImageDataset train_set = toy_images(1, 200, 1);
    try {
      t.fit(train_set, nullptr);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string checkpoint_epoch() {
    return io::load_safetensors(path("checkpoint.safetensors")).metadata.at("next_epoch");
  }
};

}  // namespace

TEST_F(NonFinite, ANaNGradientStopsTheRunNamingStepAndTensor) {
  const std::string msg = run(TrapNet::Trap::kGradient);
  EXPECT_NE(msg.find("epoch 2, step 9: the gradient of 'trap' is non-finite (NaN at element 2 of 4)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("the checkpoint of epoch 1 is kept"), std::string::npos) << msg;
  EXPECT_EQ(checkpoint_epoch(), "1");
}

TEST_F(NonFinite, AnInfParameterStopsTheRunNamingStepAndTensor) {
  const std::string msg = run(TrapNet::Trap::kParameter);
  EXPECT_NE(msg.find("epoch 2, step 9: parameter 'spare' is non-finite (inf at element 1 of 3)"), std::string::npos)
      << msg;
  EXPECT_EQ(checkpoint_epoch(), "1");
}

TEST(FiniteCheck, FindsTheFirstBadElementInArenaOrder) {
  manual_seed(1);
  nn::Linear a(5, 7);  // weight [7, 5], bias [7]
  a.finalize();
  const nn::ParamArena& arena = a.arena();
  EXPECT_TRUE(optim::arena_is_finite(arena));
  EXPECT_EQ(optim::describe_non_finite(arena), "");
  float* p = arena.params().data<float>();
  float* g = arena.grads().data<float>();
  const int64_t bias_at = arena.entry("bias").offset;
  p[bias_at + 6] = -std::numeric_limits<float>::infinity();
  EXPECT_FALSE(optim::arena_is_finite(arena));
  EXPECT_EQ(optim::describe_non_finite(arena), "parameter 'bias' is non-finite (-inf at element 6 of 7)");
  g[bias_at + 2] = std::numeric_limits<float>::quiet_NaN();  // a gradient is named before a parameter
  EXPECT_EQ(optim::describe_non_finite(arena), "the gradient of 'bias' is non-finite (NaN at element 2 of 7)");
  EXPECT_THROW(optim::check_arena_finite(arena, 12), Error);
  p[bias_at + 6] = 0.0f, g[bias_at + 2] = 0.0f;
  EXPECT_TRUE(optim::arena_is_finite(arena));
}

TEST(FiniteCheck, SeesEveryElementOfALargeArena) {
  // Past one block of the parallel check and off any lane boundary.
  manual_seed(2);
  nn::Linear a(1000, 301);
  a.finalize();
  const nn::ParamArena& arena = a.arena();
  for (const int64_t at : {int64_t{0}, int64_t{65535}, int64_t{65536}, arena.size() - 1, int64_t{123457}}) {
    arena.grads().data<float>()[at] = std::numeric_limits<float>::infinity();
    EXPECT_FALSE(optim::arena_is_finite(arena)) << at;
    arena.grads().data<float>()[at] = 0.0f;
    EXPECT_TRUE(optim::arena_is_finite(arena)) << at;
  }
}

// The watch trusts its passes only where they covered the arena: two passes over one half add
// up to the arena's size but leave the other half unchecked (a rule may skip a group), so a NaN
// there must still be found.
TEST(FiniteCheck, AWatchChecksWhatItsPassesDidNotCover) {
  manual_seed(3);
  nn::Linear a(10, 10);
  a.finalize();
  const nn::ParamArena& arena = a.arena();
  const int64_t half = arena.size() / 2;
  arena.grads().data<float>()[arena.size() - 1] = std::numeric_limits<float>::quiet_NaN();
  {
    optim::FiniteWatch watch(arena);
    for (int pass = 0; pass < 2; ++pass) {  // the same half twice: as many elements as the arena holds
      watch.check_block(0, half);
      watch.mark_checked(0, half);
    }
    EXPECT_FALSE(watch.covered());
    EXPECT_FALSE(watch.finite());
  }
  arena.grads().data<float>()[arena.size() - 1] = 0.0f;
  {
    optim::FiniteWatch watch(arena);
    watch.check_block(half, arena.size());
    watch.mark_checked(half, arena.size());
    watch.check_block(0, half);
    watch.mark_checked(0, half);
    EXPECT_TRUE(watch.covered());
    EXPECT_TRUE(watch.finite());
  }
}

namespace {

// One watched step of `opt` (and `avg`, if any) on an arena whose gradients are all finite except,
// when bad_at >= 0, the gradient at bad_at (NaN). Returns the watch's verdict and whether its
// passes covered the arena.
struct Watched {
  bool finite, covered;
};
Watched watched_step(nn::Linear& net, optim::Optimizer& opt, optim::Averager* avg, int64_t bad_at) {
  const nn::ParamArena& arena = net.arena();
  float* g = arena.grads().data<float>();
  for (int64_t i = 0; i < arena.size(); ++i) g[i] = 0.01f * static_cast<float>((i * 7919) % 13 - 6);
  if (bad_at >= 0) g[bad_at] = std::numeric_limits<float>::quiet_NaN();
  if (avg != nullptr) avg->before_step();
  const optim::FiniteWatch watch(arena);
  opt.step(optim::StepInfo{1.0, 0});
  if (avg != nullptr) avg->step(optim::StepInfo{1.0, 0});
  return {watch.finite(), watch.covered()};
}

}  // namespace

// Every rule checks its own passes (NOTE [non-finite numbers]): a clean step is found finite by
// the passes alone, with no separate pass over the arena, and a NaN gradient anywhere, here in a
// second parameter group, past the first thread's half and off any block boundary, is found.
TEST(FiniteCheck, EveryRuleChecksItsOwnPasses) {
  for (const std::string& name : optim::optimizer_names()) {
    SCOPED_TRACE(name);
    manual_seed(4);
    nn::Linear net(300, 70);  // 21,070 elements: several blocks of every traversal
    net.finalize();
    std::map<std::string, std::string> hp;
    for (const auto& spec : optim::optimizer_info(name).hyperparams)
      if (!spec.default_value.has_value()) hp[spec.name] = format_number(std::max(spec.min, 0.01));  // the required ones
    auto opt = optim::make_optimizer(name, net.arena(), hp);
    const int64_t split = net.arena().entry("bias").offset;
    std::vector<optim::ParamGroup> groups(2);
    groups[0].name = "weight", groups[0].begin = 0, groups[0].end = split;
    groups[1].name = "bias", groups[1].begin = split, groups[1].end = net.arena().size();
    optim::apply_param_groups(*opt, groups);
    for (int step = 0; step < 2; ++step) {
      const Watched clean = watched_step(net, *opt, nullptr, -1);
      EXPECT_TRUE(clean.finite);
      EXPECT_TRUE(clean.covered);
    }
    const Watched bad = watched_step(net, *opt, nullptr, net.arena().size() - 3);
    EXPECT_FALSE(bad.finite);
  }
}

// Averagers that write only their own buffer need no check; BELAY pulls the model weights and
// checks them again: a weight it makes non-finite is found although the rule's pass saw it finite.
TEST(FiniteCheck, AveragersKeepTheWatchRight) {
  for (const std::string& name : optim::averager_names()) {
    SCOPED_TRACE(name);
    manual_seed(5);
    nn::Linear net(300, 70);
    net.finalize();
    auto opt = optim::make_optimizer("sgd", net.arena(), std::map<std::string, std::string>{{"lr", "0.1"}});
    auto avg = optim::make_averager(name, net.arena(), std::map<std::string, std::string>{});
    const Watched clean = watched_step(net, *opt, avg.get(), -1);
    EXPECT_TRUE(clean.finite);
    EXPECT_TRUE(clean.covered);
    // A NaN in the average itself: only BELAY carries it into the model's weights.
    avg->averaged().data<float>()[777] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(watched_step(net, *opt, avg.get(), -1).finite, name != "belay");
    EXPECT_FALSE(watched_step(net, *opt, avg.get(), 12345).finite);
  }
}
