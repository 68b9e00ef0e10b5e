// The textual values of the command line and configs: the whole input as one value, and its
// lines as the items of a repeatable flag (--hp, --group).
#include "fuzz_common.h"
#include "models/mlp.h"
#include "models/resnet.h"
#include "momenta/data/augment.h"
#include "momenta/data/cifar.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/random_search.h"
#include "momenta/optim/schedule.h"
#include "momenta/parse.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> items = fuzz::split_lines(text);
  using fuzz::expect_only_momenta_errors;
  expect_only_momenta_errors([&] { parse_number_list(text, "--milestones"); });
  expect_only_momenta_errors([&] { cli::parse_start_point(text); });
  expect_only_momenta_errors([&] { cli::parse_key_values("--hp", items); });
  expect_only_momenta_errors([&] { optim::parse_group_rules(items); });
  expect_only_momenta_errors([&] {
    const optim::HpSchedule s = optim::parse_hp_schedule(text);
    (void)s.value(5, 10);
  });
  expect_only_momenta_errors([&] { optim::parse_search_range(text); });
  expect_only_momenta_errors([&] { optim::parse_schedule_kind(text); });
  for (const Shape& sample : {Shape{3, 32, 32}, Shape{1, 28, 28}}) {
    expect_only_momenta_errors([&] { data::augmented_shape(data::parse_augmentation(text, sample), sample); });
  }
  expect_only_momenta_errors([&] { models::parse_hidden(text); });
  expect_only_momenta_errors([&] { models::parse_shortcut(text); });
  expect_only_momenta_errors([&] { nn::parse_activation(text); });
  expect_only_momenta_errors([&] { data::parse_cifar_labels(text); });
  return 0;
}
