// The SVG writer: documents are well-formed (balanced tags, escaped text), invalid points break
// lines instead of drawing them, and bad shapes are ValueErrors.
#include "momenta/io/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "momenta/error.h"
#include "io/svg_check.h"

namespace {

using namespace momenta::io;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Svg, LinePlotIsWellFormedAndEscapesText) {
  LinePlot p{"a < b & c", {"step"}, {"loss", true}, {}};
  p.series.push_back({"x<y", {0, 1, 2, 3}, {1, 0.1, 0.01, 0.001}});
  p.series.push_back({"", {0, 1}, {2, 3}, false, true});
  const std::string s = render_line_plot(p);
  EXPECT_EQ(momenta::testing::svg_problem(s), "");
  EXPECT_NE(s.find("a &lt; b &amp; c"), std::string::npos);
  EXPECT_NE(s.find("x&lt;y"), std::string::npos);
  EXPECT_EQ(count(s, "<circle"), 2u);  // the markers of the second series
}

TEST(Svg, InvalidPointsBreakTheLine) {
  LinePlot p{"", {"x"}, {"y", true}, {}};
  p.series.push_back({"s", {0, 1, 2, 3, 4}, {1, 2, NAN, 3, -1}});  // NaN and a negative on a log axis
  const std::string s = render_line_plot(p);
  EXPECT_EQ(momenta::testing::svg_problem(s), "");
  // One path for the series: "M..L.." then a new "M" after the NaN; the negative point is dropped.
  const size_t at = s.find("<path d=\"M");
  ASSERT_NE(at, std::string::npos);
  const std::string d = s.substr(at, s.find('"', at + 9) - at);
  EXPECT_EQ(count(d, "M"), 2u);
  EXPECT_EQ(count(d, "L"), 1u);
}

TEST(Svg, ContourPlotDrawsLevelsAndPaths) {
  ContourPlot c;
  c.f = [](double x, double y) { return x * x + 4 * y * y; };
  c.grid = 30;
  c.levels = 5;
  c.paths.push_back({"run", {0.9, 0.5, 0.1}, {0.9, -0.4, 0.05}});
  c.stars = {{0, 0}};
  const std::string s = render_contour_plot(c);
  EXPECT_EQ(momenta::testing::svg_problem(s), "");
  EXPECT_GE(count(s, "<path"), 6u);  // 5 levels + the run
  ContourPlot bad = c;
  bad.x_max = bad.x_min;
  EXPECT_THROW(render_contour_plot(bad), momenta::ValueError);
}

TEST(Svg, HeatMapHasOneCellPerValueAndChecksShapes) {
  HeatMap m;
  m.row_labels = {"a", "b"};
  m.col_labels = {"1", "2", "3"};
  m.values = {{0, 1, NAN}, {2, 3, 4}};
  m.text = {{"x", "", "div"}, {}};
  const std::string s = render_heat_map(m);
  EXPECT_EQ(momenta::testing::svg_problem(s), "");
  EXPECT_EQ(count(s, "url(#hatch)"), 1u);
  m.values[1].pop_back();
  EXPECT_THROW(render_heat_map(m), momenta::ValueError);
}

TEST(Svg, CheckerFindsBrokenDocuments) {
  EXPECT_NE(momenta::testing::svg_problem("<svg><g></svg>"), "");
  EXPECT_NE(momenta::testing::svg_problem("<svg>a & b</svg>"), "");
  EXPECT_NE(momenta::testing::svg_problem("<html></html>"), "");
  EXPECT_EQ(momenta::testing::svg_problem("<svg a=\"1\"><g/><text>x &amp; y</text></svg>"), "");
}

}  // namespace
