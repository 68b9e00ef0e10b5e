// The diffusion U-Net (models/unet.h): the twin's size and multiply-adds as PyTorch counts them,
// its output and gradients against the twin's UNet class run by PyTorch
// (tests/golden/unet_reference.json, written by tests/models/make_unet_reference.py), float64
// gradient checks of a tiny U-Net, and the shapes and errors of the named configurations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"
#include "optim/golden_harness.h"

using namespace momenta;

namespace {

const nlohmann::json& reference() {
  static const nlohmann::json ref = golden::read_json(golden::golden_path("unet_reference.json"));
  return ref;
}

// The config of the reference's small model: the twin's UNet class with ch = (8, 16, 32).
models::UNetConfig small_config() {
  const auto& s = reference()["small"];
  models::UNetConfig c;
  c.widths = s["ch"].get<std::vector<int64_t>>();
  c.groups = s["groups"].get<int64_t>();
  c.time_features = s["time_features"].get<int64_t>();
  c.time_dim = s["time_dim"].get<int64_t>();
  c.time_scale = s["time_scale"].get<double>();
  return c;
}

// make_unet_reference.py fill(): parameter k, element i: u = sin(0.731 i + 1.37 k + 0.5), then
// u sqrt(3 / fan_in) for a weight of 2 or more axes, 1 + u / 4 for a norm's scale, u / 4 for a bias.
void fill_like_reference(const nn::Module& m) {
  NoGradGuard ng;
  int64_t k = 0;
  for (const auto& [name, p] : m.named_parameters()) {
    const int64_t n = p.numel();
    std::vector<double> v(static_cast<size_t>(n));
    const double scale = p.dim() >= 2 ? std::sqrt(3.0 / static_cast<double>(n / p.shape()[0])) : 0.25;
    const bool norm_scale = p.dim() == 1 && name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    for (int64_t i = 0; i < n; ++i) {
      const double u = std::sin(0.731 * static_cast<double>(i) + 1.37 * static_cast<double>(k) + 0.5);
      v[static_cast<size_t>(i)] = (norm_scale ? 1.0 : 0.0) + scale * u;
    }
    p.copy_(Tensor::from_vector<double>(v, p.shape()));
    ++k;
  }
}

Tensor reference_x(DType dt) {
  const auto shape = reference()["small"]["x_shape"].get<std::vector<int64_t>>();
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1.5 * std::sin(0.37 * static_cast<double>(i) + 0.2);
  return Tensor::from_vector<double>(v, shape).to(dt);
}

Tensor reference_t(DType dt) { return Tensor::from_vector<double>(reference()["small"]["t"].get<std::vector<double>>()).to(dt); }

// Largest |got - want| over the largest |want|.
double relative_max_error(const Tensor& got, const std::vector<double>& want) {
  const auto g = got.to(kFloat64).contiguous().to_vector<double>();
  EXPECT_EQ(g.size(), want.size());
  double err = 0.0, scale = 0.0;
  for (size_t i = 0; i < std::min(g.size(), want.size()); ++i) {
    err = std::max(err, std::abs(g[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return err / scale;
}

}  // namespace

TEST(UNet, TwinConfigHasTheTwinsSizeAndMultiplyAdds) {
  Generator g(1);
  auto net = models::make_unet("twin", 1, 28, g);
  // The numbers PyTorch gives for bench/pytorch/diffusion_unet.py's UNet(): sum of p.numel() over
  // model.parameters() and the twin's fwd_macs(model), recorded by make_unet_reference.py.
  const auto& twin = reference()["twin"];
  EXPECT_EQ(net->num_parameters(), twin["params"].get<int64_t>());
  EXPECT_EQ(net->num_parameters(), 1757409);  // the same number, spelt out for the reader
  EXPECT_EQ(models::unet_forward_macs(net->config()), twin["fwd_macs"].get<int64_t>());
}

TEST(UNet, ParametersComeInTheTwinsOrderAndShapes) {
  Generator g(2);
  models::UNet net(small_config(), g);
  const auto params = net.named_parameters();
  const auto& want = reference()["small"]["params"];
  ASSERT_EQ(params.size(), want.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto shape = want[i]["shape"].get<std::vector<int64_t>>();
    EXPECT_EQ(params[i].second.shape(), Shape(shape.begin(), shape.end()))
        << params[i].first << " vs PyTorch's " << want[i]["name"].get<std::string>();
  }
}

TEST(UNet, MatchesPyTorchInFloat64) {
  Generator g(3);
  models::UNet net(small_config(), g);
  net.finalize(kFloat64);
  fill_like_reference(net);
  const auto& s = reference()["small"];
  const Tensor x = reference_x(kFloat64), t = reference_t(kFloat64);
  const Tensor out = net.forward(x, t);
  EXPECT_EQ(out.shape(), x.shape());
  const double raw_err = relative_max_error(out, s["out_raw_f64"].get<std::vector<double>>());
  std::cout << "[ float64 ] output vs PyTorch: " << raw_err << " of the largest |output|\n";
  EXPECT_LT(raw_err, 1e-12);
  // The twin's own output: divided by the VE marginal std sqrt((sigma^(2t) - 1) / (2 ln sigma)).
  const double sigma = s["sigma"].get<double>();
  std::vector<double> stdv;
  for (double tv : s["t"].get<std::vector<double>>())
    stdv.push_back(std::sqrt((std::pow(sigma, 2 * tv) - 1.0) / (2.0 * std::log(sigma))));
  {
    NoGradGuard ng;
    const Tensor scaled = net.forward(x, t, Tensor::from_vector<double>(stdv));
    EXPECT_LT(relative_max_error(scaled, s["out_twin_f64"].get<std::vector<double>>()), 1e-12);
  }
  // Gradients of sum(out^2) for every parameter: the first elements and the norm, to within 1e-12
  // of the largest gradient norm. (Some gradients are zero but for round-off: at 8 channels,
  // GroupNorm(8) normalises each channel alone, which removes the per-channel shifts before it,
  // such as conv1's bias and the time term of the level-0 blocks.)
  sum(square(out)).backward();
  const auto params = net.named_parameters();
  const auto& grads = s["grads"];
  ASSERT_EQ(params.size(), grads.size());
  double scale = 0.0;
  for (const auto& gr : grads) scale = std::max(scale, gr["norm"].get<double>());
  double worst = 0.0;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto gv = params[i].second.grad().contiguous().to_vector<double>();
    const auto first = grads[i]["first"].get<std::vector<double>>();
    double sq = 0.0;
    for (double v : gv) sq += v * v;
    worst = std::max(worst, std::abs(std::sqrt(sq) - grads[i]["norm"].get<double>()));
    EXPECT_NEAR(std::sqrt(sq), grads[i]["norm"].get<double>(), 1e-12 * scale) << params[i].first;
    for (size_t j = 0; j < first.size(); ++j) {
      worst = std::max(worst, std::abs(gv[j] - first[j]));
      EXPECT_NEAR(gv[j], first[j], 1e-12 * scale) << params[i].first << "[" << j << "]";
    }
  }
  std::cout << "[ float64 ] largest gradient error " << worst << " of largest gradient norm " << scale << "\n";
}

TEST(UNet, MatchesPyTorchInFloat32) {
  Generator g(4);
  models::UNet net(small_config(), g);
  net.finalize(kFloat32);
  fill_like_reference(net);
  NoGradGuard ng;
  const Tensor out = net.forward(reference_x(kFloat32), reference_t(kFloat32));
  const auto& s = reference()["small"];
  // Against the twin run in float32: both are float32 round-off away from the float64 result.
  const double vs_torch = relative_max_error(out, s["out_raw_f32"].get<std::vector<double>>());
  const double vs_f64 = relative_max_error(out, s["out_raw_f64"].get<std::vector<double>>());
  const double torch_vs_f64 =
      relative_max_error(Tensor::from_vector<double>(s["out_raw_f32"].get<std::vector<double>>()),
                         s["out_raw_f64"].get<std::vector<double>>());
  std::cout << "[ float32 ] momenta vs torch " << vs_torch << ", momenta vs float64 " << vs_f64
            << ", torch vs float64 " << torch_vs_f64 << "\n";
  EXPECT_LT(vs_torch, 1e-5);
  EXPECT_LT(vs_f64, 1e-5);
}

TEST(UNet, TinyUNetGradcheckFloat64) {
  // Three levels (8 -> 4 -> 2), two blocks per level, every kind of layer; a small time scale so
  // the sinusoids stay smooth at the finite-difference step.
  models::UNetConfig c;
  c.widths = {2, 4, 4};
  c.groups = 2;
  c.blocks_per_level = 2;
  c.time_features = 4;
  c.time_dim = 3;
  c.time_scale = 3.0;
  c.image_size = 8;
  Generator g(5);
  models::UNet net(c, g);
  net.finalize(kFloat64);
  const Tensor x = randn({2, 1, 8, 8}, kFloat64, g).set_requires_grad(true);
  const Tensor t = Tensor::from_vector<double>({0.3, 0.8}).set_requires_grad(true);
  // Input and time.
  const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return net.forward(in[0], in[1]); }, {x, t});
  EXPECT_TRUE(r.ok) << r.message;

  // Parameters: central differences of a random projection of the output, element by element
  // (every element of small tensors, 6 spread elements of the others).
  const Tensor xd = x.detach(), td = t.detach();
  Tensor proj;
  {
    NoGradGuard ng;
    proj = randn(net.forward(xd, td).shape(), kFloat64, g);
  }
  auto objective = [&] { return sum(mul(net.forward(xd, td), proj)); };
  net.zero_grad();
  objective().backward();
  int checked = 0;
  for (const auto& [name, p] : net.named_parameters()) {
    const auto analytic = p.grad().contiguous().to_vector<double>();
    const int64_t n = p.numel();
    std::vector<int64_t> idx;
    if (n <= 12) {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t j = 0; j < 6; ++j) idx.push_back(j * (n - 1) / 5);
    }
    NoGradGuard ng;
    double* data = p.data<double>();
    for (int64_t i : idx) {
      const double orig = data[i], eps = 1e-6;
      data[i] = orig + eps;
      const double fp = objective().item();
      data[i] = orig - eps;
      const double fm = objective().item();
      data[i] = orig;
      const double numeric = (fp - fm) / (2 * eps);
      EXPECT_NEAR(analytic[static_cast<size_t>(i)], numeric, 1e-7 + 1e-5 * std::abs(numeric)) << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
}

TEST(UNet, NamedConfigsTakeOneOrThreeChannelsAt28And32) {
  for (const std::string& name : models::unet_config_names()) {
    for (int64_t ch : {1, 3}) {
      for (int64_t size : {28, 32}) {
        Generator g(6);
        auto net = models::make_unet(name, ch, size, g);
        net->finalize(kFloat32);
        NoGradGuard ng;
        const Tensor x = randn({2, ch, size, size}, kFloat32, g);
        const Tensor y = net->forward(x, Tensor::from_vector<float>({0.1f, 0.9f}));
        EXPECT_EQ(y.shape(), x.shape()) << net->describe();
        for (float v : y.to_vector<float>()) ASSERT_TRUE(std::isfinite(v)) << net->describe();
      }
    }
  }
}

TEST(UNet, CpuConfigCostsAboutAQuarterOfTheTwin) {
  const int64_t twin = models::unet_forward_macs(models::unet_config("twin"));
  const int64_t cpu = models::unet_forward_macs(models::unet_config("cpu"));
  Generator g(7);
  std::cout << "[ unet ] twin " << models::make_unet("twin", 1, 28, g)->num_parameters() << " parameters, " << twin
            << " MACs; cpu " << models::make_unet("cpu", 1, 28, g)->num_parameters() << " parameters, " << cpu
            << " MACs (1x28x28 forward)\n";
  const double ratio = static_cast<double>(cpu) / static_cast<double>(twin);
  EXPECT_GT(ratio, 0.2);
  EXPECT_LT(ratio, 0.3);
  // 3x32x32 costs more than 1x28x28 in the same config.
  EXPECT_GT(models::unet_forward_macs(models::unet_config("cpu", 3, 32)), cpu);
}

TEST(UNet, ClearErrors) {
  Generator g(8);
  auto net = models::make_unet("cpu", 1, 28, g);
  // 30 halves once (15) but not twice: the three-level net cannot take it.
  try {
    net->forward(Tensor::zeros({1, 1, 30, 30}), Tensor::zeros({1}));
    ADD_FAILURE() << "a 30x30 input was accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be halved 2 times"), std::string::npos) << e.what();
  }
  EXPECT_THROW(net->forward(Tensor::zeros({1, 3, 28, 28}), Tensor::zeros({1})), ShapeError);  // channels
  EXPECT_THROW(net->forward(Tensor::zeros({2, 1, 28, 28}), Tensor::zeros({1})), ShapeError);  // t per sample
  EXPECT_THROW(net->forward(Tensor::zeros({2, 1, 28, 28}), Tensor::zeros({2}), Tensor::ones({3})), ShapeError);
  EXPECT_THROW(net->forward(Tensor::zeros({1, 1, 28, 28})), NotSupportedError);  // needs t
  // A config whose image size its depth cannot halve, widths the groups do not divide, and names.
  models::UNetConfig deep;
  deep.widths = {8, 16, 32, 64};  // 28 -> 14 -> 7 -> ?
  try {
    models::UNet bad(deep, g);
    ADD_FAILURE() << "a 4-level net for 28x28 was built";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("image_size 28 cannot be halved 3 times"), std::string::npos) << e.what();
  }
  deep.image_size = 32;
  EXPECT_NO_THROW(models::UNet ok(deep, g));
  models::UNetConfig odd;
  odd.widths = {12, 24};
  EXPECT_THROW(models::UNet bad(odd, g), ValueError);
  EXPECT_THROW(models::unet_config("large"), ValueError);
  EXPECT_THROW(models::unet_config("cpu", 2, 28), ValueError);
  EXPECT_THROW(models::unet_config("cpu", 1, 64), ValueError);
}
