// Built-in test functions (optim/test_functions.h), written with the engine's ops.
#include "momenta/optim/test_functions.h"

#include "momenta/parse.h"

#include <cmath>
#include <cstdlib>
#include <numbers>
#include <sstream>

#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta::optim {
namespace {

using Args = std::map<std::string, std::vector<double>>;

// cos(x) with its derivative -sin(x). The engine's op set has no trigonometric functions, so
// the test function that needs one (ackley_reg) carries this small op; it
// computes on the host (the optimize tool runs on the CPU in float64).
Tensor cosine(const Tensor& x) {
  const std::vector<double> v = x.to_vector<double>();
  std::vector<double> c(v.size()), ms(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    c[i] = std::cos(v[i]);
    ms[i] = -std::sin(v[i]);
  }
  Tensor out = Tensor::from_vector<double>(c, x.shape()).to(x.dtype());
  if (any_requires_grad({&x})) {
    const Tensor d = Tensor::from_vector<double>(ms, x.shape()).to(x.dtype());
    attach_grad_fn(out, "cos", {x}, [d](const Tensor& g) { return std::vector<Tensor>{mul(g, d)}; });
  }
  return out;
}

// A constant vector of n values: `v` has 1 value (broadcast) or n.
Tensor per_dim(const std::vector<double>& v, int64_t n, const Tensor& like) {
  std::vector<double> full(static_cast<size_t>(n), v.empty() ? 0.0 : v[0]);
  if (static_cast<int64_t>(v.size()) == n) full = v;
  return Tensor::from_vector<double>(full).to(like.dtype());
}

Tensor beale_at(const Tensor& x, const Tensor& y) {
  const Tensor t1 = 1.5 - x + x * y;
  const Tensor t2 = 2.25 - x + x * square(y);
  const Tensor t3 = 2.625 - x + x * (y * square(y));
  return (square(t1) + square(t2) + square(t3)).sum();
}

Objective build(const std::string& name, int64_t n, const Args& a) {
  auto s = [&](const char* key) { return a.at(key).at(0); };
  if (name == "rosenbrock") {
    // Rosenbrock 1960, generalised as the sum over consecutive pairs (x_i, x_{i+1}).
    const double ca = s("a"), cb = s("b");
    return [ca, cb, n](const Tensor& p) {
      const Tensor x = p.slice(0, 0, n - 1), y = p.slice(0, 1, n);
      return (square(ca - x) + cb * square(y - square(x))).sum();
    };
  }
  if (name == "rosenbrock_belay") {
    // BELAY paper App. C.1 variant: the roles of x and y^2 swapped, a = 0 (minimum at 0).
    const double ca = s("a"), cb = s("b");
    return [ca, cb, n](const Tensor& p) {
      const Tensor x = p.slice(0, 0, n - 1), y = p.slice(0, 1, n);
      return (square(ca - x) + cb * square(x - square(y))).sum();
    };
  }
  if (name == "beale") {
    return [](const Tensor& p) { return beale_at(p.slice(0, 0, 1), p.slice(0, 1, 2)); };
  }
  if (name == "beale_shifted") {
    // BELAY paper (Patsenker, Li & Kluger) App. C.1: Beale(x + 3, y + 0.5), the minimum (3, 0.5)
    // moved to the origin.
    const double sx = s("sx"), sy = s("sy");
    return [sx, sy](const Tensor& p) { return beale_at(p.slice(0, 0, 1) + sx, p.slice(0, 1, 2) + sy); };
  }
  if (name == "quadratic") {
    const std::vector<double> k = a.at("k");
    return [k, n](const Tensor& p) { return 0.5 * sum(per_dim(k, n, p) * square(p)); };
  }
  if (name == "zakharov") {
    // As in gbdl/ECDSep ECDSep_zakharov.ipynb: sum x^2 + (sum 0.5 i x_i)^2 + (sum 0.5 i x_i)^4.
    std::vector<double> idx(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = 0.5 * static_cast<double>(i + 1);
    return [idx](const Tensor& p) {
      const Tensor w = sum(Tensor::from_vector<double>(idx).to(p.dtype()) * p);
      const Tensor w2 = square(w);
      return sum(square(p)) + w2 + square(w2);
    };
  }
  if (name == "ackley_reg") {
    // ECDSep paper (De Luca, Gatti & Silverstein 2023) eq. 29, taken from the authors' code
    // gbdl/ECDSep ECDSep_ackley.ipynb: -a exp(-b sqrt(|x|^2/n)) - exp(sum cos(c x_i)/n) + a + e
    // + reg |x|^8, with b = 0.02 as in that code; the paper's eq. 29 and the textbook Ackley have
    // b = 0.2.
    const double ca = s("a"), cb = s("b"), cc = s("c"), reg = s("reg");
    const double inv_n = 1.0 / static_cast<double>(n);
    return [ca, cb, cc, reg, inv_n](const Tensor& p) {
      const Tensor r2 = sum(square(p));
      const Tensor t1 = -ca * exp(-cb * sqrt(r2 * inv_n));
      const Tensor t2 = exp(sum(cosine(cc * p)) * inv_n);
      return t1 - t2 + (ca + std::numbers::e) + reg * square(square(r2));
    };
  }
  if (name == "styblinski_tang") {
    return [](const Tensor& p) {
      const Tensor p2 = square(p);
      return 0.5 * sum(square(p2) - 16.0 * p2 + 5.0 * p);
    };
  }
  if (name == "superacc_eq15") {
    // Nakerst, Brennan & Haque 2020, eq. 15 (paper file 004, l.181): a non-convex valley with a
    // sixth-power wall, (x^2 + 2y - 7)^2 + (2x + y - 5)^2 + 1e-3 (x^6 + y^6); minimum near
    // (1.690, 1.963) (Fig. 3 caption, l.192).
    return [](const Tensor& p) {
      const Tensor x = p.slice(0, 0, 1), y = p.slice(0, 1, 2);
      const Tensor u = square(x) + 2.0 * y - 7.0, v = 2.0 * x + y - 5.0;
      const Tensor x3 = x * square(x), y3 = y * square(y);
      return (square(u) + square(v) + 1e-3 * (square(x3) + square(y3))).sum();
    };
  }
  if (name == "nesterov_worst") {
    // Nesterov, Introductory Lectures on Convex Optimization (2004), Sec. 2.1.2: the worst
    // smooth convex function for first-order methods, on the first k coordinates:
    // f = L/4 * (1/2 [x_1^2 + sum_{i<k} (x_i - x_{i+1})^2 + x_k^2] - x_1).
    const double L = s("L");
    const int64_t k = static_cast<int64_t>(s("k")) == 0 ? n : static_cast<int64_t>(s("k"));
    check<ValueError>(k >= 1 && k <= n && static_cast<double>(static_cast<int64_t>(s("k"))) == s("k"),
                      "nesterov_worst: fn-arg k=", s("k"), " must be a whole number in [1, ", n, "] (0: the dimension)");
    return [L, k](const Tensor& p) {
      const Tensor first = p.slice(0, 0, 1), last = p.slice(0, k - 1, k);
      Tensor inner = square(first).sum() + square(last).sum();
      if (k > 1) inner = inner + square(p.slice(0, 0, k - 1) - p.slice(0, 1, k)).sum();
      return (0.25 * L) * (0.5 * inner - first.sum());
    };
  }
  throw ValueError(str_cat("unknown test function '", name, "'"));
}

std::vector<double> parse_numbers(const std::string& fn, const std::string& key, const std::string& text) {
  check<ValueError>(!text.empty(), fn, ": --fn-arg ", key, " has no value");
  return parse_number_list(text, str_cat(fn, ": --fn-arg ", key));
}

}  // namespace

const std::vector<TestFunctionInfo>& test_functions() {
  static const std::vector<TestFunctionInfo> fns = {
      {"rosenbrock", "sum_i (a - x_i)^2 + b (x_{i+1} - x_i^2)^2", "Rosenbrock 1960; golden problem 'rosenbrock'", 2, -1,
       {{"a", {1.0}, false, "minimum at x = (a, a^2, ...)"}, {"b", {100.0}, false, "valley steepness"}}},
      {"rosenbrock_belay", "sum_i (a - x_i)^2 + b (x_i - x_{i+1}^2)^2",
       "BELAY paper App. C.1 variant (minimum at 0 for a = 0); golden problem 'rosenbrock_belay'", 2, -1,
       {{"a", {0.0}, false, "first-term offset"}, {"b", {100.0}, false, "valley steepness"}}},
      {"beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2", "Beale 1958; minimum 0 at (3, 0.5)", 2, 2,
       {}},
      {"beale_shifted", "beale(x + sx, y + sy)",
       "BELAY paper App. C.1's shifted Beale: shift (3, 0.5), minimum at the origin", 2, 2,
       {{"sx", {3.0}, false, "shift of x"}, {"sy", {0.5}, false, "shift of y"}}},
      {"quadratic", "0.5 sum_i k_i x_i^2", "separable quadratic; golden 'quadratic10' with its k", 1, -1,
       {{"k", {1.0}, true, "curvatures: one value, or one per dimension"}}},
      {"zakharov", "sum x_i^2 + (sum 0.5 i x_i)^2 + (sum 0.5 i x_i)^4", "Zakharov; as in gbdl/ECDSep ECDSep_zakharov.ipynb", 1,
       -1, {}},
      {"ackley_reg", "-a exp(-b sqrt(|x|^2/n)) - exp(sum cos(c x_i)/n) + a + e + reg |x|^8",
       "ECDSep paper eq. 29 (Ackley + regulariser; b = 0.2 in the text, 0.02 in gbdl/ECDSep ECDSep_ackley.ipynb)", 1, -1,
       {{"a", {20.0}, false, "depth"},
        {"b", {0.02}, false, "radial decay (textbook Ackley: 0.2)"},
        {"c", {2.0 * std::numbers::pi}, false, "ripple frequency"},
        {"reg", {1e-8}, false, "coefficient of the |x|^8 regulariser"}}},
      {"styblinski_tang", "0.5 sum (x_i^4 - 16 x_i^2 + 5 x_i)", "Styblinski & Tang 1990; minimum near x_i = -2.9035", 1, -1,
       {}},
      {"superacc_eq15", "(x^2 + 2y - 7)^2 + (2x + y - 5)^2 + 1e-3 (x^6 + y^6)",
       "Nakerst, Brennan & Haque 2020 eq. 15; minimum near (1.690, 1.963)", 2, 2, {}},
      {"nesterov_worst", "L/4 (1/2 [x_1^2 + sum_{i<k} (x_i - x_{i+1})^2 + x_k^2] - x_1)",
       "Nesterov 2004, Introductory Lectures, Sec. 2.1.2 (worst-case smooth convex quadratic)", 1, -1,
       {{"L", {1.0}, false, "gradient Lipschitz constant"},
        {"k", {0.0}, false, "coordinates in the chain (0: all of them)"}}},
  };
  return fns;
}

const TestFunctionInfo& test_function_info(const std::string& name) {
  for (const auto& f : test_functions())
    if (f.name == name) return f;
  std::string known;
  for (const auto& f : test_functions()) known += (known.empty() ? "" : ", ") + f.name;
  throw ValueError(str_cat("unknown test function '", name, "' (known: ", known, ")"));
}

Objective make_test_function(const std::string& name, int64_t dim, const std::map<std::string, std::string>& args) {
  const TestFunctionInfo& info = test_function_info(name);
  if (info.max_dim == info.min_dim) {
    check<ValueError>(dim == info.min_dim, name, " is ", info.min_dim, "-dimensional: --x0 needs ", info.min_dim,
                      " values, got ", dim);
  } else {
    check<ValueError>(dim >= info.min_dim, name, " needs at least ", info.min_dim, " dimensions: --x0 has ", dim,
                      " value", dim == 1 ? "" : "s");
  }
  Args typed;
  for (const auto& spec : info.args) typed[spec.name] = spec.default_value;
  for (const auto& [key, text] : args) {
    const TestFunctionArg* spec = nullptr;
    for (const auto& s : info.args)
      if (s.name == key) spec = &s;
    if (spec == nullptr) {
      std::string known;
      for (const auto& s : info.args) known += (known.empty() ? "" : ", ") + s.name;
      throw ValueError(str_cat(name, ": unknown --fn-arg '", key, "' (",
                               known.empty() ? std::string("it takes none") : "expected one of: " + known, ")"));
    }
    std::vector<double> v = parse_numbers(name, key, text);
    if (spec->per_dimension) {
      check<ValueError>(v.size() == 1 || static_cast<int64_t>(v.size()) == dim, name, ": --fn-arg ", key, " takes 1 or ",
                        dim, " values (one per dimension), got ", v.size());
    } else {
      check<ValueError>(v.size() == 1, name, ": --fn-arg ", key, " takes 1 value, got ", v.size());
    }
    typed[key] = std::move(v);
  }
  return build(name, dim, typed);
}

}  // namespace momenta::optim
