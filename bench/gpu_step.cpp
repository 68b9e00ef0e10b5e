// Training-step time of the reference models on one device (scripts/gpu_check.sh runs it on a
// GPU): the MLP, ResNet-20 and the diffusion U-Net (the PyTorch twin's architecture), each at
// batch 128, SGD with momentum. Prints one markdown row per model: ms per step (median of the
// timed steps) and samples per second. Each step ends in loss.item(), which waits for the
// device, so a step's time is its whole time.
//   gpu_step [--device cuda|cuda:N|cpu] [--steps N] [--warmup N] [--only mlp|resnet20|unet]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/mlp.h"
#include "models/resnet.h"
#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"
#include "momenta/train/objective.h"

using namespace momenta;

namespace {

struct Workload {
  std::string name;
  std::function<std::shared_ptr<nn::Module>()> make;
  Shape input;  // one sample
  std::shared_ptr<train::Objective> objective;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

void run(const Workload& w, Device device, int64_t batch, int warmup, int steps) {
  auto model = w.make();
  model->finalize(kFloat32, device);
  auto opt = optim::make_optimizer("sgd", model->arena(),
                                   std::map<std::string, std::string>{{"lr", "0.01"}, {"momentum", "0.9"}});
  Generator g(1);
  Shape shape{batch};
  for (int64_t d : w.input) shape.push_back(d);
  data::Batch b;
  b.images = rand(shape, kFloat32, g).to(device);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) labels[static_cast<size_t>(i)] = i % 10;
  b.labels = Tensor::from_vector(labels, Shape{batch}).to(device);
  model->train();
  std::vector<double> ms;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt->zero_grad();
    Generator noise(100 + static_cast<uint64_t>(s));
    Tensor loss = w.objective->loss(*model, b, noise);
    const double lv = loss.item();
    loss.backward();
    opt->step(optim::StepInfo{lv, s});
    (void)model->arena().params().slice(0, 0, 1).item();  // waits for the update
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (s >= warmup) ms.push_back(t);
  }
  const double m = median(ms);
  std::printf("| %s | %lld | %s | %.2f | %.0f |\n", w.name.c_str(), static_cast<long long>(batch),
              device.str().c_str(), m, 1000.0 * static_cast<double>(batch) / m);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string device_name = "cuda", only;
  int steps = 20, warmup = 3;
  for (int i = 1; i < argc; ++i) {
    const auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gpu_step: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--device")) device_name = value("--device");
    else if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(value("--steps"));
    else if (!std::strcmp(argv[i], "--warmup")) warmup = std::atoi(value("--warmup"));
    else if (!std::strcmp(argv[i], "--only")) only = value("--only");
    else {
      std::fprintf(stderr, "usage: gpu_step [--device cuda|cuda:N|cpu] [--steps N] [--warmup N] [--only mlp|resnet20|unet]\n");
      return 2;
    }
  }
  try {
    const Device device = parse_device(device_name);
    require_device(device);
    const auto ce = std::make_shared<train::ClassificationObjective>(train::Loss::kCrossEntropy);
    models::ProcessSpec ps;  // VE, as the default score model trains
    ps.b = 20.0;
    const auto dsm = std::make_shared<models::DsmObjective>(std::shared_ptr<const diffusion::NoiseProcess>(ps.make()),
                                                            ps.dsm_options());
    const std::vector<Workload> all = {
        {"mlp", [] { Generator g(1); return std::static_pointer_cast<nn::Module>(models::make_mlp({}, g)); },
         Shape{1, 28, 28}, ce},
        {"resnet20",
         [] {
           Generator g(2);
           return std::static_pointer_cast<nn::Module>(std::make_shared<models::ResNet>(
               3, 10, std::vector<int64_t>{16, 32, 64}, std::vector<int64_t>{3, 3, 3}, nn::Shortcut::kA, g));
         },
         Shape{3, 32, 32}, ce},
        {"unet",
         [] {
           Generator g(3);
           return std::static_pointer_cast<nn::Module>(
               std::make_shared<models::UNet>(models::unet_config("twin", 1, 28), g));
         },
         Shape{1, 28, 28}, dsm},
    };
    std::printf("| model | batch | device | ms/step (median of %d) | samples/s |\n|---|---|---|---|---|\n", steps);
    for (const auto& w : all)
      if (only.empty() || only == w.name) run(w, device, 128, warmup, steps);
  } catch (const Error& e) {
    std::fprintf(stderr, "gpu_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
