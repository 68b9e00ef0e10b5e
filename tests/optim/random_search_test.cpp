#include "momenta/optim/random_search.h"

#include <gtest/gtest.h>

#include <cmath>

#include "momenta/error.h"

namespace {

using namespace momenta::optim;

TEST(RandomSearch, DrawsInsideTheRangesAndFindsTheBest) {
  const std::vector<SearchRange> ranges = {{"lr", 1e-4, 1.0, true}, {"momentum", 0.5, 0.99, false}};
  const auto score = [](const HyperParams& hp) { return std::fabs(std::log10(hp.at("lr")[0]) + 2.0); };  // best near 1e-2
  const SearchResult r = random_search(ranges, {{"fixed", {3.0}}}, 200, 5, score);
  ASSERT_EQ(r.trials.size(), 200u);
  double best = INFINITY;
  for (const auto& t : r.trials) {
    EXPECT_GE(t.hp.at("lr")[0], 1e-4);
    EXPECT_LE(t.hp.at("lr")[0], 1.0);
    EXPECT_GE(t.hp.at("momentum")[0], 0.5);
    EXPECT_LE(t.hp.at("momentum")[0], 0.99);
    EXPECT_EQ(t.hp.at("fixed")[0], 3.0);
    best = std::min(best, t.score);
  }
  EXPECT_EQ(r.trials[r.best].score, best);
  EXPECT_LT(best, 0.1);
  // Log-uniform: about a quarter of the draws per decade.
  int low = 0;
  for (const auto& t : r.trials) low += t.hp.at("lr")[0] < 1e-3;
  EXPECT_GT(low, 25);
  EXPECT_LT(low, 80);
}

TEST(RandomSearch, SeededAndPrefixStable) {
  const std::vector<SearchRange> ranges = {{"lr", 0.0, 1.0, false}};
  const auto id = [](const HyperParams& hp) { return hp.at("lr")[0]; };
  const auto a = random_search(ranges, {}, 10, 42, id), b = random_search(ranges, {}, 20, 42, id);
  const auto c = random_search(ranges, {}, 10, 43, id);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(a.trials[i].score, b.trials[i].score);
  EXPECT_NE(a.trials[0].score, c.trials[0].score);
}

TEST(RandomSearch, NonFiniteScoresLose) {
  int i = 0;
  const auto s = [&](const HyperParams&) { return i++ == 1 ? 5.0 : NAN; };
  EXPECT_EQ(random_search({{"lr", 0, 1, false}}, {}, 4, 0, s).best, 1u);
}

TEST(RandomSearch, ParsesRanges) {
  const SearchRange r = parse_search_range("lr=1e-4:0.5:log");
  EXPECT_EQ(r.name, "lr");
  EXPECT_EQ(r.lo, 1e-4);
  EXPECT_EQ(r.hi, 0.5);
  EXPECT_TRUE(r.log);
  EXPECT_FALSE(parse_search_range("momentum=0.5:0.99").log);
  for (const char* bad : {"lr", "lr=1", "=1:2", "lr=2:1", "lr=0:1:log", "lr=a:b"})
    EXPECT_THROW(parse_search_range(bad), momenta::ValueError) << bad;
}

}  // namespace
