#include <gtest/gtest.h>

#include "momenta/error.h"
#include "momenta/optim/schedule.h"

using namespace momenta::optim;

TEST(Schedule, CosineWarmupAndMultistep) {
  Schedule c;
  c.kind = Schedule::Kind::kCosine;
  EXPECT_DOUBLE_EQ(c.factor(0, 101), 1.0);
  EXPECT_NEAR(c.factor(50, 101), 0.5, 1e-12);
  EXPECT_NEAR(c.factor(100, 101), 0.0, 1e-12);
  c.warmup_steps = 10;
  EXPECT_NEAR(c.factor(0, 110), 0.1, 1e-12);
  EXPECT_NEAR(c.factor(9, 110), 1.0, 1e-12);
  Schedule m;
  m.kind = Schedule::Kind::kMultiStep;
  m.milestones = {5, 8};
  EXPECT_DOUBLE_EQ(m.factor(4, 10), 1.0);
  EXPECT_NEAR(m.factor(5, 10), 0.1, 1e-15);
  EXPECT_NEAR(m.factor(9, 10), 0.01, 1e-15);
  EXPECT_THROW(parse_schedule_kind("linear-ish"), momenta::ValueError);
}
