// Small, dependency-free SVG figures for experiment reports: line plots (linear or log axes,
// several series, a legend), trajectories over the contour lines of a 2-D function, and heat
// maps with a colour bar. Each render_* returns a complete standalone SVG document.
//
// Non-finite points are skipped: a line is broken there, so a diverged run ends where it left
// the finite numbers. On a log axis, points <= 0 are skipped the same way.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "momenta/io/text_file.h"  // write_text_file, for the reports that write figures

namespace momenta::io {

struct PlotAxis {
  PlotAxis() = default;
  PlotAxis(std::string label_, bool log_ = false, std::optional<double> min_ = {}, std::optional<double> max_ = {})
      : label(std::move(label_)), log(log_), min(min_), max(max_) {}
  std::string label;
  bool log = false;
  std::optional<double> min, max;  // default: the data range (padded on linear axes)
};

struct PlotSeries {
  PlotSeries() = default;
  PlotSeries(std::string label_, std::vector<double> x_, std::vector<double> y_, bool line_ = true, bool markers_ = false)
      : label(std::move(label_)), x(std::move(x_)), y(std::move(y_)), line(line_), markers(markers_) {}
  std::string label;           // empty: not in the legend
  std::vector<double> x, y;
  bool line = true;            // connect the points
  bool markers = false;        // draw a dot at each point
  bool dashed = false;
  std::string color;           // empty: the next colour of the palette
};

struct LinePlot {
  LinePlot() = default;
  LinePlot(std::string title_, PlotAxis x_, PlotAxis y_, std::vector<PlotSeries> series_)
      : title(std::move(title_)), x(std::move(x_)), y(std::move(y_)), series(std::move(series_)) {}
  std::string title;
  PlotAxis x, y;
  std::vector<PlotSeries> series;
  int width = 720, height = 460;
};

// Trajectories (series in the function's coordinates) over contour lines of f on the box.
struct ContourPlot {
  std::string title;
  std::string x_label = "x", y_label = "y";
  double x_min = -1, x_max = 1, y_min = -1, y_max = 1;
  std::function<double(double, double)> f;
  int grid = 120;        // f is sampled on grid x grid points
  int levels = 16;
  bool log_levels = true;  // levels evenly spaced in log(f - min f + small), which shows basins
  std::vector<PlotSeries> paths;
  std::vector<std::pair<double, double>> stars;  // marked points (e.g. the minimum)
  int width = 640, height = 560;
};

struct HeatMap {
  std::string title;
  std::string row_axis, col_axis, value_label;
  std::vector<std::string> row_labels, col_labels;
  std::vector<std::vector<double>> values;     // [row][col]; NaN: no value (drawn hatched grey)
  std::vector<std::vector<std::string>> text;  // optional text per cell (same shape or empty)
  std::optional<double> v_min, v_max;          // colour range; default: the finite data range
  int cell_width = 64, cell_height = 34;
};

std::string render_line_plot(const LinePlot& plot);
std::string render_contour_plot(const ContourPlot& plot);
std::string render_heat_map(const HeatMap& map);

// The i-th colour of the plotting palette (cycles).
std::string palette_color(size_t i);

}  // namespace momenta::io
