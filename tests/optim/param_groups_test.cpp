// Named parameter groups (optim/param_groups.h), hyperparameter schedules (optim/schedule.h)
// and the super-accelerated look-ahead under a changing sigma.
#include <gtest/gtest.h>

#include <cmath>

#include "models/mlp.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/registry.h"
#include "momenta/optim/schedule.h"

using namespace momenta;

namespace {

std::shared_ptr<nn::Sequential> small_mlp() {
  manual_seed(0);
  auto m = models::make_mlp({4, {3}, 2, nn::Activation::kReLU, 0.0});
  m->finalize(kFloat64);
  return m;
}

}  // namespace

TEST(ParamGroups, PatternsSelectByNameAndRank) {
  auto m = small_mlp();
  const auto& entries = m->arena().entries();
  ASSERT_EQ(entries.size(), 4u);  // weight, bias, weight, bias
  int one_d = 0, by_glob = 0;
  for (const auto& e : entries) {
    one_d += optim::group_pattern_matches("@1d", e);
    by_glob += optim::group_pattern_matches("*.bias", e);
    EXPECT_NE(optim::group_pattern_matches("@1d", e), optim::group_pattern_matches("@nd", e)) << e.name;
  }
  EXPECT_EQ(one_d, 2);
  EXPECT_EQ(by_glob, 2);
  EXPECT_TRUE(optim::group_pattern_matches(entries[0].name, entries[0]));
  EXPECT_FALSE(optim::group_pattern_matches("x*", entries[0]));
  EXPECT_THROW(optim::group_pattern_matches("@bogus", entries[0]), ValueError);
}

TEST(ParamGroups, ContiguousRunsOfANamedGroup) {
  auto m = small_mlp();
  const auto groups = optim::make_param_groups(m->arena(), {{"no_decay", "@1d", {{"weight_decay", {0.0}}}}});
  // weight | bias | weight | bias alternate, so four ranges, covering the arena in order.
  ASSERT_EQ(groups.size(), 4u);
  int64_t pos = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    EXPECT_EQ(groups[i].begin, pos);
    pos = groups[i].end;
    EXPECT_EQ(groups[i].name, i % 2 == 1 ? "no_decay" : "");
    EXPECT_EQ(groups[i].hp.count("weight_decay"), i % 2 == 1 ? 1u : 0u);
  }
  EXPECT_EQ(pos, m->arena().size());
  // Adjacent tensors of one group merge: everything matched is a single range.
  EXPECT_EQ(optim::make_param_groups(m->arena(), {{"all", "*", {}}}).size(), 1u);
  // A pattern that selects nothing is an error naming it.
  try {
    optim::make_param_groups(m->arena(), {{"", "*.gamma", {}}});
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("*.gamma"), std::string::npos) << e.what();
  }
}

TEST(ParamGroups, ParsesTheCommandLineForm) {
  const auto rules = optim::parse_group_rules({"@1d:weight_decay=0", "layers.0.*:lr=0.01", "@1d:betas=0.8,0.9"});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].pattern, "@1d");
  EXPECT_EQ(rules[0].hp.at("weight_decay"), std::vector<double>{0.0});
  EXPECT_EQ(rules[0].hp.at("betas"), (std::vector<double>{0.8, 0.9}));
  EXPECT_EQ(rules[1].hp.at("lr"), std::vector<double>{0.01});
  for (const char* bad : {"weight_decay=0", "@1d:", "@1d:=3", "@1d:lr=abc"})
    EXPECT_THROW(optim::parse_group_rules({bad}), ValueError) << bad;
}

// AdamW with no decay on the 1-D tensors: with a zero gradient, only the decayed tensors shrink.
TEST(ParamGroups, NoDecayOnBiasesLeavesThemUntouched) {
  auto m = small_mlp();
  auto opt = optim::make_optimizer("adamw", m->arena(), optim::HyperParams{{"lr", {0.1}}, {"weight_decay", {0.5}}});
  optim::apply_param_groups(*opt, optim::make_param_groups(m->arena(), optim::parse_group_rules({"@1d:weight_decay=0"})));
  const auto before = m->arena().params().to_vector<double>();
  m->zero_grad();
  opt->step();
  const auto after = m->arena().params().to_vector<double>();
  for (const auto& e : m->arena().entries()) {
    for (int64_t i = e.offset; i < e.offset + e.numel; ++i) {
      if (e.shape.size() == 1) EXPECT_EQ(after[i], before[i]) << e.name;
      else EXPECT_DOUBLE_EQ(after[i], before[i] * (1.0 - 0.1 * 0.5)) << e.name;
    }
  }
}

TEST(ParamGroups, OverridesAreValidatedAndWholeModelRulesRefuseThem) {
  auto m = small_mlp();
  auto adam = optim::make_optimizer("adam", m->arena(), optim::HyperParams{{"lr", {0.1}}});
  EXPECT_THROW(optim::apply_param_groups(*adam, optim::make_param_groups(m->arena(), {{"x", "@1d", {{"momentum", {0.9}}}}})),
               ValueError);  // not an Adam hyperparameter
  EXPECT_THROW(optim::apply_param_groups(*adam, optim::make_param_groups(m->arena(), {{"x", "@1d", {{"lr", {-1.0}}}}})),
               ValueError);  // out of range
  auto ecd = optim::make_optimizer("ecdsep", m->arena(), optim::HyperParams{{"lr", {0.1}}, {"eta", {1.0}}});
  EXPECT_THROW(optim::apply_param_groups(*ecd, optim::make_param_groups(m->arena(), {{"x", "@1d", {{"lr", {0.2}}}}})),
               ValueError);
  // Groups after the first step are refused.
  m->zero_grad();
  adam->step();
  EXPECT_THROW(adam->set_groups(optim::make_param_groups(m->arena(), {{"x", "@1d", {}}})), ValueError);
}

TEST(HpSchedule, ParsesAndInterpolates) {
  const auto s = optim::parse_hp_schedule("sigma=5:2");
  EXPECT_EQ(s.key, "sigma");
  EXPECT_DOUBLE_EQ(s.value(0, 101), 5.0);
  EXPECT_DOUBLE_EQ(s.value(50, 101), 3.5);
  EXPECT_DOUBLE_EQ(s.value(100, 101), 2.0);
  const auto c = optim::parse_hp_schedule("sigma=5:2:cosine");
  EXPECT_TRUE(c.cosine);
  EXPECT_DOUBLE_EQ(c.value(50, 101), 3.5);
  EXPECT_GT(c.value(10, 101), s.value(10, 101));  // the half-cosine leaves the start slowly
  for (const char* bad : {"sigma", "sigma=5", "sigma=5:x", "sigma=5:2:steep", "=1:2"})
    EXPECT_THROW(optim::parse_hp_schedule(bad), ValueError) << bad;
}

// Super-acceleration with sigma changing every step, against the paper's form written directly:
// g_i = grad(theta_{i-1} + s_{i-1} v_{i-1}), v_i = mu v_{i-1} - lr g_i, theta_i = theta_{i-1} + v_i,
// where s_{i-1} is the sigma of the previous step (NOTE [look-ahead storage]).
TEST(SuperAccelSchedule, FollowsThePaperFormWithTheScheduleOneStepLate) {
  const double k = 3.0, lr = 0.05, mu = 0.9;
  nn::ParamArena arena({{"x", Tensor::from_vector(std::vector<double>{1.5})}}, kFloat64, kCPU);
  auto opt = optim::make_optimizer("super_accel", arena,
                                   optim::HyperParams{{"lr", {lr}}, {"momentum", {mu}}, {"sigma", {5.0}}});
  double theta = 1.5, vel = 0.0, s_prev = 0.0;
  for (int i = 0; i < 40; ++i) {
    const double sigma = 5.0 - 0.075 * i;
    opt->groups().front().hp["sigma"] = {sigma};
    const double phi = arena.params().to_vector<double>()[0];
    EXPECT_NEAR(phi, theta + s_prev * vel, 1e-12) << "step " << i;
    arena.grads().fill_(k * phi);
    opt->step();
    vel = mu * vel - lr * k * (theta + s_prev * vel);
    theta += vel;
    s_prev = sigma;
    EXPECT_NEAR(opt->eval_weights().to_vector<double>()[0], theta, 1e-12) << "step " << i;
  }
}
