// SVG figures (io/svg.h). Hand-written SVG: one <g> per layer, coordinates rounded to 0.1 px,
// a palette chosen for colour-blind readers (Okabe & Ito) and viridis-like colour maps.
#include "momenta/io/svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include "momenta/error.h"

namespace momenta::io {
namespace {

constexpr const char* kFont = "font-family=\"Helvetica,Arial,sans-serif\"";

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick_text(double v) {
  if (v == 0) return "0";
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3)
    std::snprintf(buf, sizeof buf, "%.0e", v);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Maps data values to pixels along one axis.
struct Scale {
  double lo = 0, hi = 1;  // data range (log10 of it on a log axis)
  bool log = false;
  double p0 = 0, p1 = 1;  // pixel range
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double map(double v) const {
    const double u = log ? std::log10(v) : v;
    return p0 + (u - lo) / (hi - lo) * (p1 - p0);
  }
};

Scale make_scale(const PlotAxis& axis, double dmin, double dmax, double p0, double p1) {
  Scale s;
  s.log = axis.log;
  s.p0 = p0;
  s.p1 = p1;
  const bool have = dmin <= dmax;
  if (s.log) {
    double lo = axis.min && *axis.min > 0 ? *axis.min : (have ? dmin : 1.0);
    double hi = axis.max && *axis.max > 0 ? *axis.max : (have ? dmax : 10.0);
    lo = std::log10(lo);
    hi = std::log10(hi);
    if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
    const double pad = 0.04 * (hi - lo);
    if (!(axis.min && *axis.min > 0)) lo -= pad;
    if (!(axis.max && *axis.max > 0)) hi += pad;
    s.lo = lo;
    s.hi = hi;
  } else {
    double lo = axis.min ? *axis.min : (have ? dmin : 0.0);
    double hi = axis.max ? *axis.max : (have ? dmax : 1.0);
    if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) lo -= 0.5, hi += 0.5;
    const double pad = 0.04 * (hi - lo);
    if (!axis.min) lo -= pad;
    if (!axis.max) hi += pad;
    s.lo = lo;
    s.hi = hi;
  }
  return s;
}

std::vector<double> ticks(const Scale& s) {
  std::vector<double> out;
  if (s.log) {
    const int a = static_cast<int>(std::ceil(s.lo - 1e-9)), b = static_cast<int>(std::floor(s.hi + 1e-9));
    const int step = std::max(1, (b - a + 1) / 7 + 1);
    for (int e = a; e <= b; e += step) out.push_back(std::pow(10.0, e));
    if (out.size() < 3) {  // less than two decades: add 2x and 5x
      std::vector<double> more;
      for (int e = a - 1; e <= b; ++e)
        for (double m : {1.0, 2.0, 5.0}) {
          const double v = m * std::pow(10.0, e);
          if (std::log10(v) >= s.lo - 1e-9 && std::log10(v) <= s.hi + 1e-9) more.push_back(v);
        }
      out = more;
    }
    return out;
  }
  const double raw = (s.hi - s.lo) / 6.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(s.lo / step) * step; v <= s.hi + 1e-9 * step; v += step)
    out.push_back(std::fabs(v) < 1e-12 * step ? 0.0 : v);
  return out;
}

// Colour maps: a viridis-like ramp for values in [0, 1].
std::string ramp(double t) {
  static const std::array<std::array<double, 3>, 6> stops = {{{68, 1, 84},
                                                              {65, 68, 135},
                                                              {42, 120, 142},
                                                              {34, 168, 132},
                                                              {122, 209, 81},
                                                              {253, 231, 37}}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double x = t * (stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(x), stops.size() - 2);
  const double f = x - static_cast<double>(i);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                static_cast<int>(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                static_cast<int>(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
  return buf;
}

std::string header(int w, int h) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) + "\" " + kFont +
         ">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

std::string text(double x, double y, const std::string& s, int size, const char* anchor = "middle",
                 const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) +
         "\" text-anchor=\"" + anchor + "\"" + extra + ">" + esc(s) + "</text>\n";
}

// Frame, grid, ticks and labels of a plot area [x0,x1] x [y0,y1] (y0 is the top).
std::string axes(const Scale& sx, const Scale& sy, double x0, double x1, double y0, double y1, const std::string& xl,
                 const std::string& yl) {
  std::string s = "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  std::string labels;
  for (double v : ticks(sx)) {
    const double px = sx.map(v);
    s += "<line x1=\"" + num(px) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(px) + "\" y2=\"" + num(y1) + "\"/>\n";
    labels += text(px, y1 + 16, tick_text(v), 11);
  }
  for (double v : ticks(sy)) {
    const double py = sy.map(v);
    s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(py) + "\" x2=\"" + num(x1) + "\" y2=\"" + num(py) + "\"/>\n";
    labels += text(x0 - 6, py + 4, tick_text(v), 11, "end");
  }
  s += "</g>\n<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(x1 - x0) + "\" height=\"" +
       num(y1 - y0) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  s += "<g fill=\"#333\">\n" + labels;
  s += text((x0 + x1) / 2, y1 + 36, xl + (sx.log ? " (log)" : ""), 13);
  s += "<text transform=\"translate(16," + num((y0 + y1) / 2) +
       ") rotate(-90)\" font-size=\"13\" text-anchor=\"middle\">" + esc(yl + (sy.log ? " (log)" : "")) + "</text>\n";
  return s + "</g>\n";
}

// Polylines of one series, broken at invalid points.
std::string series_svg(const PlotSeries& ser, const Scale& sx, const Scale& sy, const std::string& color) {
  std::string s;
  const size_t n = std::min(ser.x.size(), ser.y.size());
  if (ser.line) {
    std::string d;
    bool pen = false;
    for (size_t i = 0; i < n; ++i) {
      if (!sx.valid(ser.x[i]) || !sy.valid(ser.y[i])) {
        pen = false;
        continue;
      }
      d += (pen ? "L" : "M") + num(sx.map(ser.x[i])) + " " + num(sy.map(ser.y[i]));
      pen = true;
    }
    if (!d.empty())
      s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"" +
           (ser.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
  }
  if (ser.markers) {
    s += "<g fill=\"" + color + "\">\n";
    for (size_t i = 0; i < n; ++i)
      if (sx.valid(ser.x[i]) && sy.valid(ser.y[i]))
        s += "<circle cx=\"" + num(sx.map(ser.x[i])) + "\" cy=\"" + num(sy.map(ser.y[i])) + "\" r=\"2.8\"/>\n";
    s += "</g>\n";
  }
  return s;
}

std::string legend(const std::vector<PlotSeries>& series, const std::vector<std::string>& colors, double x, double y) {
  std::string s = "<g font-size=\"12\" fill=\"#222\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i].label.empty()) continue;
    if (series[i].line)
      s += "<line x1=\"" + num(x) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(x + 22) + "\" y2=\"" + num(y - 4) +
           "\" stroke=\"" + colors[i] + "\" stroke-width=\"2.5\"" +
           (series[i].dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    if (series[i].markers && !series[i].line)
      s += "<circle cx=\"" + num(x + 11) + "\" cy=\"" + num(y - 4) + "\" r=\"3\" fill=\"" + colors[i] + "\"/>\n";
    s += text(x + 28, y, series[i].label, 12, "start");
    y += 18;
  }
  return s + "</g>\n";
}

bool has_legend(const std::vector<PlotSeries>& series) {
  return std::any_of(series.begin(), series.end(), [](const PlotSeries& s) { return !s.label.empty(); });
}

// Width reserved right of the plot for the legend: swatch plus the longest label at ~6 px per
// character of 12 px Helvetica, an upper bound for most text (0 without a legend).
double legend_width(const std::vector<PlotSeries>& series) {
  size_t chars = 0;
  for (const auto& s : series) chars = std::max(chars, s.label.size());
  return chars == 0 ? 0.0 : 50.0 + 6.0 * static_cast<double>(chars);
}

std::vector<std::string> colors_of(const std::vector<PlotSeries>& series) {
  std::vector<std::string> out;
  size_t next = 0;
  for (const auto& s : series) out.push_back(s.color.empty() ? palette_color(next++) : s.color);
  return out;
}

}  // namespace

std::string palette_color(size_t i) {
  static const std::array<const char*, 9> p = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                               "#56B4E9", "#000000", "#F0E442", "#999999"};
  return p[i % p.size()];
}

std::string render_line_plot(const LinePlot& p) {
  const bool leg = has_legend(p.series);
  const double lw = legend_width(p.series);
  const int width = p.width + static_cast<int>(lw);  // the plot keeps its width; the legend is added
  const double x0 = 72, x1 = p.width - 24, y0 = p.title.empty() ? 16 : 40, y1 = p.height - 52;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  const Scale probe_x{0, 1, p.x.log}, probe_y{0, 1, p.y.log};
  for (const auto& s : p.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!probe_x.valid(s.x[i]) || !probe_y.valid(s.y[i])) continue;
      if ((p.x.min && s.x[i] < *p.x.min) || (p.x.max && s.x[i] > *p.x.max)) continue;
      xmin = std::min(xmin, s.x[i]), xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]), ymax = std::max(ymax, s.y[i]);
    }
  const Scale sx = make_scale(p.x, xmin, xmax, x0, x1);
  const Scale sy = make_scale(p.y, ymin, ymax, y1, y0);
  std::string s = header(width, p.height);
  if (!p.title.empty()) s += text(width / 2.0, 24, p.title, 15, "middle", " font-weight=\"bold\"");
  s += axes(sx, sy, x0, x1, y0, y1, p.x.label, p.y.label);
  s += "<clipPath id=\"plot\"><rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(x1 - x0) +
       "\" height=\"" + num(y1 - y0) + "\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n";
  const auto colors = colors_of(p.series);
  for (size_t i = 0; i < p.series.size(); ++i) s += series_svg(p.series[i], sx, sy, colors[i]);
  s += "</g>\n";
  if (leg) s += legend(p.series, colors, x1 + 14, y0 + 14);
  return s + "</svg>\n";
}

std::string render_contour_plot(const ContourPlot& p) {
  check<ValueError>(static_cast<bool>(p.f), "render_contour_plot: no function given");
  check<ValueError>(p.grid >= 4 && p.x_max > p.x_min && p.y_max > p.y_min, "render_contour_plot: empty box or grid");
  const bool leg = has_legend(p.paths);
  const int width = p.width + static_cast<int>(legend_width(p.paths));
  const double x0 = 72, x1 = p.width - 24, y0 = p.title.empty() ? 16 : 40, y1 = p.height - 52;
  const Scale sx = make_scale(PlotAxis{"", false, p.x_min, p.x_max}, 0, 0, x0, x1);
  const Scale sy = make_scale(PlotAxis{"", false, p.y_min, p.y_max}, 0, 0, y1, y0);
  const int n = p.grid;
  std::vector<double> v(static_cast<size_t>((n + 1) * (n + 1)));
  double fmin = std::numeric_limits<double>::infinity(), fmax = -fmin;
  auto gx = [&](int i) { return p.x_min + (p.x_max - p.x_min) * i / n; };
  auto gy = [&](int j) { return p.y_min + (p.y_max - p.y_min) * j / n; };
  for (int j = 0; j <= n; ++j)
    for (int i = 0; i <= n; ++i) {
      const double f = p.f(gx(i), gy(j));
      v[static_cast<size_t>(j * (n + 1) + i)] = f;
      if (std::isfinite(f)) fmin = std::min(fmin, f), fmax = std::max(fmax, f);
    }
  std::string s = header(width, p.height);
  if (!p.title.empty()) s += text(width / 2.0, 24, p.title, 15, "middle", " font-weight=\"bold\"");
  s += axes(sx, sy, x0, x1, y0, y1, p.x_label, p.y_label);
  s += "<clipPath id=\"plot\"><rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(x1 - x0) +
       "\" height=\"" + num(y1 - y0) + "\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n";
  if (fmax > fmin) {
    const double off = 1e-3 * (fmax - fmin);
    auto tr = [&](double f) { return p.log_levels ? std::log10(f - fmin + off) : f; };
    for (auto& x : v) x = std::isfinite(x) ? tr(x) : tr(fmax);
    const double lo = tr(fmin), hi = tr(fmax);
    // Marching squares, one path per level: each cell contributes the segments where the
    // level crosses its edges (saddle cells give two segments, paired by the case table).
    for (int l = 1; l <= p.levels; ++l) {
      const double level = lo + (hi - lo) * l / (p.levels + 1);
      std::string d;
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) {
          const double a = v[static_cast<size_t>(j * (n + 1) + i)], b = v[static_cast<size_t>(j * (n + 1) + i + 1)];
          const double c = v[static_cast<size_t>((j + 1) * (n + 1) + i + 1)], e = v[static_cast<size_t>((j + 1) * (n + 1) + i)];
          const int code = (a > level) | ((b > level) << 1) | ((c > level) << 2) | ((e > level) << 3);
          if (code == 0 || code == 15) continue;
          auto lerp = [&](double fa, double fb) { return (level - fa) / (fb - fa); };
          // Edge points: 0 bottom (a-b), 1 right (b-c), 2 top (e-c), 3 left (a-e).
          auto pt = [&](int edge) -> std::pair<double, double> {
            switch (edge) {
              case 0: return {gx(i) + lerp(a, b) * (gx(i + 1) - gx(i)), gy(j)};
              case 1: return {gx(i + 1), gy(j) + lerp(b, c) * (gy(j + 1) - gy(j))};
              case 2: return {gx(i) + lerp(e, c) * (gx(i + 1) - gx(i)), gy(j + 1)};
              default: return {gx(i), gy(j) + lerp(a, e) * (gy(j + 1) - gy(j))};
            }
          };
          static const int table[16][4] = {{-1, -1, -1, -1}, {3, 0, -1, -1}, {0, 1, -1, -1}, {3, 1, -1, -1},
                                           {1, 2, -1, -1},   {3, 0, 1, 2},   {0, 2, -1, -1}, {3, 2, -1, -1},
                                           {3, 2, -1, -1},   {0, 2, -1, -1}, {0, 1, 2, 3},   {1, 2, -1, -1},
                                           {3, 1, -1, -1},   {0, 1, -1, -1}, {3, 0, -1, -1}, {-1, -1, -1, -1}};
          for (int k = 0; k < 4 && table[code][k] >= 0; k += 2) {
            const auto [ax, ay] = pt(table[code][k]);
            const auto [bx, by] = pt(table[code][k + 1]);
            d += "M" + num(sx.map(ax)) + " " + num(sy.map(ay)) + "L" + num(sx.map(bx)) + " " + num(sy.map(by));
          }
        }
      if (!d.empty())
        s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + ramp(0.15 + 0.8 * l / (p.levels + 1.0)) +
             "\" stroke-width=\"1\" opacity=\"0.8\"/>\n";
    }
  }
  const auto colors = colors_of(p.paths);
  for (size_t i = 0; i < p.paths.size(); ++i) {
    PlotSeries ser = p.paths[i];
    s += series_svg(ser, sx, sy, colors[i]);
    const size_t m = std::min(ser.x.size(), ser.y.size());
    if (m > 0 && sx.valid(ser.x[0]) && sy.valid(ser.y[0]))  // start point as an open circle
      s += "<circle cx=\"" + num(sx.map(ser.x[0])) + "\" cy=\"" + num(sy.map(ser.y[0])) +
           "\" r=\"4\" fill=\"white\" stroke=\"" + colors[i] + "\" stroke-width=\"1.5\"/>\n";
  }
  for (const auto& [x, y] : p.stars)
    s += text(sx.map(x), sy.map(y) + 6, "\xE2\x98\x85", 18, "middle", " fill=\"#c00\"");
  s += "</g>\n";
  if (leg) s += legend(p.paths, colors, x1 + 14, y0 + 14);
  return s + "</svg>\n";
}

std::string render_heat_map(const HeatMap& m) {
  const size_t rows = m.row_labels.size(), cols = m.col_labels.size();
  check<ValueError>(m.values.size() == rows, "render_heat_map: ", m.values.size(), " rows of values for ", rows,
                    " row labels");
  for (const auto& r : m.values)
    check<ValueError>(r.size() == cols, "render_heat_map: a row has ", r.size(), " values for ", cols, " columns");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : m.values)
    for (double x : r)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (m.v_min) lo = *m.v_min;
  if (m.v_max) hi = *m.v_max;
  if (!(hi > lo)) lo = std::isfinite(lo) ? lo - 1 : 0, hi = lo + 2;
  const double x0 = 150, y0 = m.title.empty() ? 20 : 46;
  const double w = static_cast<double>(cols) * m.cell_width, h = static_cast<double>(rows) * m.cell_height;
  const int width = static_cast<int>(x0 + w + 130), height = static_cast<int>(y0 + std::max(h, 120.0) + 62);
  std::string s = header(width, height);
  s += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
       "<rect width=\"6\" height=\"6\" fill=\"#ddd\"/><path d=\"M0 6L6 0\" stroke=\"#999\"/></pattern></defs>\n";
  if (!m.title.empty()) s += text(width / 2.0, 26, m.title, 15, "middle", " font-weight=\"bold\"");
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const double val = m.values[r][c];
      const double cx = x0 + static_cast<double>(c) * m.cell_width, cy = y0 + static_cast<double>(r) * m.cell_height;
      const double t = (val - lo) / (hi - lo);
      s += "<rect x=\"" + num(cx) + "\" y=\"" + num(cy) + "\" width=\"" + std::to_string(m.cell_width) +
           "\" height=\"" + std::to_string(m.cell_height) + "\" fill=\"" +
           (std::isfinite(val) ? ramp(t) : std::string("url(#hatch)")) + "\" stroke=\"white\"/>\n";
      if (r < m.text.size() && c < m.text[r].size() && !m.text[r][c].empty())
        s += text(cx + m.cell_width / 2.0, cy + m.cell_height / 2.0 + 4, m.text[r][c], 11, "middle",
                  std::string(" fill=\"") + (std::isfinite(val) && t > 0.6 ? "#111" : "#fff") + "\"" +
                      (std::isfinite(val) ? "" : " style=\"fill:#333\""));
    }
    s += text(x0 - 8, y0 + (static_cast<double>(r) + 0.5) * m.cell_height + 4, m.row_labels[r], 12, "end");
  }
  for (size_t c = 0; c < cols; ++c)
    s += text(x0 + (static_cast<double>(c) + 0.5) * m.cell_width, y0 + h + 16, m.col_labels[c], 11);
  s += text(x0 + w / 2, y0 + h + 40, m.col_axis, 13);
  s += text(14, y0 - 8, m.row_axis, 12, "start");
  // Colour bar with five labelled ticks.
  const double bx = x0 + w + 24, bh = std::max(h, 120.0);
  for (int k = 0; k < 40; ++k)
    s += "<rect x=\"" + num(bx) + "\" y=\"" + num(y0 + bh * (39 - k) / 40.0) + "\" width=\"16\" height=\"" +
         num(bh / 40.0 + 0.5) + "\" fill=\"" + ramp(k / 39.0) + "\"/>\n";
  for (int k = 0; k <= 4; ++k) {
    const double vy = y0 + bh * (4 - k) / 4.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", lo + (hi - lo) * k / 4.0);
    s += text(bx + 20, vy + 4, buf, 11, "start");
  }
  s += "<text transform=\"translate(" + num(bx + 98) + "," + num(y0 + bh / 2) +
       ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">" + esc(m.value_label) + "</text>\n";
  return s + "</svg>\n";
}

}  // namespace momenta::io
