#include "momenta/train/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "momenta/io/safetensors.h"
#include "momenta/parse.h"
#include "momenta/random.h"

namespace momenta::train {
namespace {
const std::string kModel = "model.", kOptim = "optim.", kAvg = "avg.";

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::string meta(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  auto it = f.metadata.find(key);
  check<FormatError>(it != f.metadata.end(), "checkpoint '", path, "': metadata has no '", key, "' field");
  return it->second;
}

// A decimal integer in [0, 2^64): digits only (strtoull alone accepts "-1" and wraps it).
uint64_t parse_u64(const std::string& text, const std::string& key, const std::string& path) {
  const bool digits = !text.empty() && text.size() <= 20 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = digits ? std::strtoull(text.c_str(), &end, 10) : 0;
  check<FormatError>(digits && errno != ERANGE && end && *end == '\0', "checkpoint '", path, "': metadata field '", key,
                     "' is not a non-negative integer: '", excerpt(text), "'");
  return v;
}

// A count that must fit int64_t (epochs, steps).
int64_t parse_count(const std::string& text, const std::string& key, const std::string& path) {
  const uint64_t v = parse_u64(text, key, path);
  check<FormatError>(v <= static_cast<uint64_t>(INT64_MAX / 2), "checkpoint '", path, "': metadata field '", key,
                     "' is out of range: ", v);
  return static_cast<int64_t>(v);
}

const std::string kRun = "run.", kStateKeys = "optim_state";
}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer& opt,
                     const TrainingPosition& pos, const optim::Averager* averager) {
  std::vector<std::pair<std::string, Tensor>> entries;
  for (const auto& [name, t] : model.state_dict()) entries.emplace_back(kModel + name, t);
  for (const auto& [name, t] : opt.state()) entries.emplace_back(kOptim + name, t);
  if (averager != nullptr)
    for (const auto& [name, t] : averager->state()) entries.emplace_back(kAvg + name, t);
  const Generator& gen = default_generator();
  std::string lrs, state_keys;
  for (const auto& [name, t] : opt.state()) state_keys += (state_keys.empty() ? "" : ",") + name;
  for (double lr : pos.base_lrs) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", lr);
    lrs += (lrs.empty() ? "" : ",") + std::string(buf);
  }
  std::map<std::string, std::string> meta{{"format", "momenta-checkpoint"},
                                          {"optimizer", opt.name()},
                                          {"averager", averager != nullptr ? averager->name() : ""},
                                          {"next_epoch", std::to_string(pos.next_epoch)},
                                          {"global_step", std::to_string(pos.global_step)},
                                          {"base_lrs", lrs},
                                          {"rng_seed", std::to_string(gen.seed())},
                                          {"rng_offset", std::to_string(gen.offset())},
                                          {kStateKeys, state_keys}};
  for (const auto& [k, v] : pos.run) meta[kRun + k] = v;
  io::save_safetensors(path, entries, meta);
}

TrainingPosition load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt,
                                 optim::Averager* averager) {
  // Optimizer and averager scalars may hold +-inf as "not seen yet" sentinels (BBI's min_loss);
  // every other tensor must be finite (NOTE [non-finite on load] in io/safetensors.cpp).
  const io::SafetensorsFile f = io::load_safetensors(path, {{kOptim + "scalar.", kAvg + "scalar."}});
  check<FormatError>(meta(f, "format", path) == "momenta-checkpoint", "'", path, "' is not a momenta checkpoint");
  const std::string rule = meta(f, "optimizer", path);
  check<FormatError>(rule == opt.name(), "checkpoint '", path, "' was written by optimizer '", excerpt(rule),
                     "', this run uses '", opt.name(), "'");
  auto it = f.metadata.find("averager");
  const std::string saved_avg = it == f.metadata.end() ? "" : it->second;
  const std::string want_avg = averager != nullptr ? averager->name() : "";
  check<FormatError>(saved_avg == want_avg, "checkpoint '", path, "' was written ",
                     saved_avg.empty() ? std::string("without an averager") : str_cat("with averager '", excerpt(saved_avg), "'"),
                     ", this run uses ", want_avg.empty() ? std::string("none") : str_cat("'", want_avg, "'"));
  nn::NamedTensors model_state;
  std::vector<std::pair<std::string, Tensor>> optim_state, avg_state;
  for (const auto& [name, t] : f.tensors) {
    if (starts_with(name, kModel)) model_state.emplace_back(name.substr(kModel.size()), t);
    else if (starts_with(name, kOptim)) optim_state.emplace_back(name.substr(kOptim.size()), t);
    else if (starts_with(name, kAvg) && averager != nullptr) avg_state.emplace_back(name.substr(kAvg.size()), t);
    else throw FormatError(str_cat("checkpoint '", path, "': unexpected entry '", excerpt(name), "'"));
  }
  // Every state tensor the saving optimizer had must be here: a rule given no moments would
  // silently restart them from zero.
  {
    std::set<std::string> have;
    for (const auto& [k, t] : optim_state) have.insert(k);
    const std::string listed = meta(f, kStateKeys, path);
    size_t start = 0;
    while (start <= listed.size() && !listed.empty()) {
      const size_t comma = std::min(listed.find(',', start), listed.size());
      const std::string key = listed.substr(start, comma - start);
      check<FormatError>(have.count(key) != 0, "checkpoint '", path, "': optimizer state '", excerpt(key),
                         "' is missing (the checkpoint lists it in '", kStateKeys, "')");
      start = comma + 1;
    }
    check<FormatError>(have.count("group_steps") != 0, "checkpoint '", path,
                       "': optimizer state 'group_steps' is missing");
  }
  try {
    model.load_state_dict(model_state);
    opt.load_state(optim_state);
    if (averager != nullptr) averager->load_state(avg_state);
  } catch (const Error& e) {
    throw FormatError(str_cat("checkpoint '", path, "' does not fit this run: ", e.what()));
  }
  default_generator().set_state(parse_u64(meta(f, "rng_seed", path), "rng_seed", path),
                                parse_u64(meta(f, "rng_offset", path), "rng_offset", path));
  TrainingPosition pos;
  pos.next_epoch = parse_count(meta(f, "next_epoch", path), "next_epoch", path);
  pos.global_step = parse_count(meta(f, "global_step", path), "global_step", path);
  const std::string lrs = meta(f, "base_lrs", path);
  try {
    pos.base_lrs = parse_number_list(lrs, "base_lrs");
  } catch (const ValueError&) {
    throw FormatError(str_cat("checkpoint '", path, "': metadata field 'base_lrs' is not a list of numbers: '", excerpt(lrs), "'"));
  }
  for (double lr : pos.base_lrs)
    check<FormatError>(std::isfinite(lr) && lr >= 0.0, "checkpoint '", path,
                       "': metadata field 'base_lrs' holds ", lr, " (expected finite learning rates >= 0)");
  for (const auto& [k, v] : f.metadata)
    if (starts_with(k, kRun)) pos.run[k.substr(kRun.size())] = v;
  return pos;
}

}  // namespace momenta::train
