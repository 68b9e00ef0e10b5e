#include "momenta/analysis/trajectory_stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "momenta/error.h"

namespace {

using namespace momenta::analysis;

TEST(TrajectoryStats, MeanLog10IsTheAverageDecade) {
  EXPECT_DOUBLE_EQ(mean_log10({1.0, 0.1, 0.01}), -1.0);
  EXPECT_DOUBLE_EQ(mean_log10({1000.0}), 3.0);
  EXPECT_THROW(mean_log10({}), momenta::ValueError);
  EXPECT_THROW(mean_log10({1.0, 0.0}), momenta::ValueError);
  EXPECT_THROW(mean_log10({1.0, NAN}), momenta::ValueError);
}

TEST(TrajectoryStats, SettleIndexIsWhereTheTailStaysBelow) {
  EXPECT_EQ(settle_index({5, 0.5, 2, 0.5, 0.4, 0.3}, 1.0), 3);  // the dip at 1 does not count
  EXPECT_EQ(settle_index({0.5, 0.4}, 1.0), 0);
  EXPECT_EQ(settle_index({0.5, 0.4, 1.0}, 1.0), -1);  // "below" is strict
  EXPECT_EQ(settle_index({}, 1.0), -1);
}

TEST(TrajectoryStats, EndCycleSeesATwoPointCycle) {
  const EndCycle c = end_cycle({{9, 9}, {1, 2}, {4, 6}, {1, 2}});
  EXPECT_DOUBLE_EQ(c.period1, 5.0);  // |(1,2) - (4,6)|
  EXPECT_DOUBLE_EQ(c.period2, 0.0);
  const EndCycle f = end_cycle({{0, 0}, {3, 4}, {3, 4}});
  EXPECT_DOUBLE_EQ(f.period1, 0.0);
  EXPECT_DOUBLE_EQ(f.period2, 5.0);
  EXPECT_THROW(end_cycle({{0, 0}, {1, 1}}), momenta::ValueError);
  EXPECT_THROW(end_cycle({{0, 0}, {1, 1}, {1}}), momenta::ValueError);
}

TEST(TrajectoryStats, ExpDecayTimeRecoversT) {
  std::vector<double> y;
  for (int t = 0; t < 50; ++t) y.push_back((t % 2 ? -3.0 : 3.0) * std::exp(-t / 7.5));  // the sign is ignored
  EXPECT_NEAR(exp_decay_time(y, 1e-12), 7.5, 1e-9);
  // Samples at or below the floor are left out: a series that drops to 0 keeps its T.
  y.push_back(0.0);
  EXPECT_NEAR(exp_decay_time(y, 1e-12), 7.5, 1e-9);
  EXPECT_EQ(exp_decay_time({1.0, 1.0, 2.0}, 0.0), INFINITY);
  EXPECT_THROW(exp_decay_time({1.0, 1e-20, 0.5}, 1e-12), momenta::ValueError);
}

}  // namespace
