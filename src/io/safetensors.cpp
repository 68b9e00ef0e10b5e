#include "momenta/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

namespace momenta::io {
namespace {

// Tensor bytes are copied as they lie in memory, and safetensors data is little-endian.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

// The reference implementation refuses headers over 100 MB; so do we, before allocating them.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

using Json = nlohmann::ordered_json;  // keeps the key order of the file, hence the save order

std::string errno_message(int err) { return std::error_code(err, std::generic_category()).message(); }

// A temporary file beside the target; commit() renames it over the target, and the destructor
// removes it when commit() was not reached, so a failure never touches the target.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path)
      : path_(std::move(path)), tmp_path_(path_ + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(str_cat("cannot create temporary file '", tmp_path_, "'"), errno);
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_path_.c_str());
  }

  void write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail("write failed", w < 0 ? errno : EIO);
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void commit() {
    // fsync before rename: otherwise a crash can leave the new name pointing at empty data.
    if (::fsync(fd_) != 0) fail("fsync failed", errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("close failed", errno);
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) fail(str_cat("cannot rename '", tmp_path_, "'"), errno);
    committed_ = true;
    // Best effort: the new file is already in place; a directory fsync only hardens the rename
    // against power loss, and some filesystems refuse it.
    std::string dir = std::filesystem::path(path_).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what, int err) {
    throw IOError(str_cat("cannot write '", path_, "': ", what, ": ", errno_message(err)));
  }

  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

const char* dtype_code(DType t) {
  switch (t) {
    case DType::kFloat32: return "F32";
    case DType::kFloat64: return "F64";
    case DType::kInt64: return "I64";
  }
  return "?";
}

bool parse_dtype_code(const std::string& s, DType* out) {
  if (s == "F32") *out = kFloat32;
  else if (s == "F64") *out = kFloat64;
  else if (s == "I64") *out = kInt64;
  else return false;
  return true;
}

// A validated header entry.
struct Entry {
  std::string name;
  DType dtype = kFloat32;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

}  // namespace

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  file.write(contents.data(), contents.size());
  file.commit();
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check<ValueError>(t.defined(), "save_safetensors '", path, "': tensor '", name, "' is undefined");
    check<ValueError>(name != "__metadata__", "save_safetensors '", path, "': '__metadata__' is a reserved name");
    check<ValueError>(seen.insert(name).second, "save_safetensors '", path, "': duplicate tensor name '", name, "'");
    uint64_t nbytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype());
    header[name] = {{"dtype", dtype_code(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  // Pad with spaces (valid JSON whitespace) so the data buffer starts 8-byte aligned, as the
  // reference writer does; readers may then map the file and use the data in place.
  text.append((8 - text.size() % 8) % 8, ' ');

  AtomicFile file(path);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  file.write(len, sizeof len);
  file.write(text.data(), text.size());
  std::vector<char> staging;
  for (const auto& [name, t] : tensors) {
    Tensor c = t.detach().contiguous();
    size_t nbytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
    if (nbytes == 0) continue;
    if (c.device().is_cpu()) {
      file.write(c.raw_data(), nbytes);
    } else {
      staging.resize(nbytes);
      c.copy_to_host(staging.data(), nbytes);
      file.write(staging.data(), nbytes);
    }
  }
  file.commit();
}

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

namespace {

// Reads `n` bytes at `offset` of the file into `dst`; throws when fewer are there.
using ReadAt = std::function<void(void* dst, uint64_t offset, uint64_t n, const std::string& what)>;

// NOTE [hostile headers]: the header is outside input. Before nlohmann builds anything, the
// parser callback refuses nesting deeper than kMaxDepth (a 100k-deep "[[[..." once crashed the
// error path) and duplicate keys (nlohmann would keep the last silently); messages quote values
// through bounded_dump, never dump(), so neither depth nor size reaches the output.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxRank = 16;
constexpr size_t kQuoteBytes = 80;

void append_bounded(std::string& out, const Json& v) {
  if (out.size() > kQuoteBytes) return;
  if (v.is_object() || v.is_array()) {
    out += v.is_object() ? '{' : '[';
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      if (out.size() > kQuoteBytes) return;
      if (!first) out += ',';
      first = false;
      if (v.is_object()) out += Json(excerpt(k, kQuoteBytes)).dump(-1, ' ', false, Json::error_handler_t::replace) + ':';
      append_bounded(out, item);
    }
    out += v.is_object() ? '}' : ']';
  } else if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    out += Json(text.substr(0, kQuoteBytes + 1)).dump(-1, ' ', false, Json::error_handler_t::replace);
  } else {
    out += v.dump();
  }
}

// A JSON value as it would be dumped, cut to about kQuoteBytes characters.
std::string bounded_dump(const Json& v) {
  std::string out;
  append_bounded(out, v);
  return out.size() > kQuoteBytes ? excerpt(out, kQuoteBytes) : out;
}

[[noreturn]] void fail_file(const std::string& path, const std::string& msg) {
  throw FormatError(str_cat("safetensors file '", path, "': ", msg));
}

Json parse_header(const std::string& text, const std::string& path) {
  const auto fail = [&](const std::string& msg) { fail_file(path, msg); };
  std::vector<std::set<std::string>> keys;  // the keys seen in each open object
  const Json::parser_callback_t guard = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxDepth) fail(str_cat("header nests JSON values more than ", kMaxDepth, " levels deep"));
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
          fail(str_cat("header holds the key '", excerpt(parsed.get<std::string>()), "' twice in one object"));
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, guard);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    fail_file(path, str_cat("header is not valid JSON: ", excerpt(e.what(), 200)));
  }
}

// The flat index of the first NaN or infinity in `t` (float dtypes), or -1.
template <class T>
int64_t first_non_finite(const T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i])) return i;
  return -1;
}

SafetensorsFile load_from(const std::string& path, uint64_t file_size, const ReadAt& read_at,
                          const LoadOptions& options) {
  auto fail = [&](const auto&... args) { fail_file(path, str_cat(args...)); };

  if (file_size < 8) fail("file is ", file_size, " bytes, shorter than the 8-byte header length");
  unsigned char len[8];
  read_at(len, 0, 8, "header length");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(len[i]) << (8 * i);
  if (header_len > kMaxHeaderBytes)
    fail("header length ", header_len, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  if (header_len > file_size - 8)
    fail("header length ", header_len, " runs past the end of the file (", file_size - 8, " bytes after the length)");
  const uint64_t data_start = 8 + header_len;
  const uint64_t buffer_size = file_size - data_start;

  std::string text(header_len, '\0');
  read_at(text.data(), 8, header_len, "header");
  const Json header = parse_header(text, path);
  if (!header.is_object()) fail("header is not a JSON object");

  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail("__metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) fail("__metadata__['", excerpt(k), "'] is not a string but ", bounded_dump(v));
        result.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    auto where = str_cat("tensor '", excerpt(name), "': ");
    if (!value.is_object()) fail(where, "entry is not an object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) fail(where, "missing field '", field, "'");
    Entry e;
    e.name = name;
    const Json& dt = value["dtype"];
    if (!dt.is_string() || !parse_dtype_code(dt.get<std::string>(), &e.dtype))
      fail(where, "dtype ", bounded_dump(dt), " is not supported (expected F32, F64 or I64)");

    const Json& sh = value["shape"];
    if (!sh.is_array()) fail(where, "shape ", bounded_dump(sh), " is not an array");
    if (sh.size() > kMaxRank) fail(where, "shape has ", sh.size(), " dimensions, more than ", kMaxRank);
    // numel may be 0, so the product of the other dimensions is bounded too: strides are
    // computed from it whatever numel is.
    uint64_t numel = 1, nonzero = 1;
    for (const Json& d : sh) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(where, "shape ", bounded_dump(sh), " holds ", bounded_dump(d), ", not a non-negative integer");
      uint64_t n = d.get<uint64_t>();
      if (n != 0 && nonzero > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / n)
        fail(where, "shape ", bounded_dump(sh), " is too large");
      if (n != 0) nonzero *= n;
      numel *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }

    const Json& off = value["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned() ||
        off[0].get<uint64_t>() > off[1].get<uint64_t>())
      fail(where, "data_offsets ", bounded_dump(off), " is not a pair [begin, end] with begin <= end");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    uint64_t itemsize = dtype_size(e.dtype);
    if (numel > std::numeric_limits<uint64_t>::max() / itemsize || e.end - e.begin != numel * itemsize)
      fail(where, "data_offsets ", bounded_dump(off), " span ", e.end - e.begin, " bytes but shape ", bounded_dump(sh),
           " of ", dt.get<std::string>(), " needs ",
           numel > std::numeric_limits<uint64_t>::max() / itemsize ? std::string("more than 2^64")
                                                                   : std::to_string(numel * itemsize));
    if (e.end > buffer_size)
      fail(where, "data_offsets ", bounded_dump(off), " run past the end of the data buffer (", buffer_size,
           " bytes; file truncated?)");
    entries.push_back(std::move(e));
  }

  // The buffer must be covered exactly once, in order: no overlaps, no holes, no trailing bytes.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.begin < expected)
      fail("tensor '", excerpt(e.name), "': data_offsets overlap those of '", excerpt(entries[i - 1].name), "'");
    if (e.begin > expected)
      fail("tensor '", excerpt(e.name), "': data_offsets leave a gap at bytes [", expected, ", ", e.begin, ")");
    expected = e.end;
  }
  if (expected != buffer_size)
    fail("data buffer is ", buffer_size, " bytes but the tensors cover ", expected, " (", buffer_size - expected,
         " trailing bytes)");

  // NOTE [non-finite on load]: one policy for numbers read back. A model or a training state
  // holding NaN or infinity is refused with the tensor and element, instead of evaluating or
  // resuming into silent garbage (ReLU maps NaN to 0). Only the tensors the caller names may
  // hold +-infinity, as a sentinel ("no loss seen yet"); NaN never.
  const auto may_be_infinite = [&](const std::string& name) {
    for (const std::string& prefix : options.infinity_allowed)
      if (name.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
  };
  for (Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin)
      read_at(t.raw_data(), data_start + e.begin, e.end - e.begin, str_cat("data of tensor '", excerpt(e.name), "'"));
    int64_t bad = -1;
    double value = 0;
    if (e.dtype == kFloat32 || e.dtype == kFloat64) {
      const bool f32 = e.dtype == kFloat32;
      const void* p = t.raw_data();
      const int64_t n = t.numel();
      for (int64_t from = 0; from < n;) {
        const int64_t rel = f32 ? first_non_finite(static_cast<const float*>(p) + from, n - from)
                                : first_non_finite(static_cast<const double*>(p) + from, n - from);
        if (rel < 0) break;
        const int64_t i = from + rel;
        value = f32 ? static_cast<const float*>(p)[i] : static_cast<const double*>(p)[i];
        if (std::isnan(value) || !may_be_infinite(e.name)) {
          bad = i;
          break;
        }
        from = i + 1;
      }
    }
    if (bad >= 0)
      fail("tensor '", excerpt(e.name), "' holds ", std::isnan(value) ? "NaN" : value > 0 ? "+inf" : "-inf",
           " at element ", bad, " of ", t.numel(), "; refusing non-finite numbers (did the run that wrote it diverge?)");
    result.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return result;
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(path, ec);
  if (ec || !std::filesystem::exists(path, ec)) throw IOError(str_cat("cannot open '", path, "': ", ec ? ec.message() : "no such file"));
  if (!regular) throw IOError(str_cat("cannot open '", path, "': not a regular file"));
  uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw IOError(str_cat("cannot open '", path, "': ", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(str_cat("cannot open '", path, "': ", errno_message(errno)));
  const ReadAt read_at = [&](void* dst, uint64_t offset, uint64_t n, const std::string& what) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in || static_cast<uint64_t>(in.gcount()) != n)
      throw FormatError(
          str_cat("safetensors file '", path, "': ", what, " ends early (file changed while reading?)"));
  };
  return load_from(path, file_size, read_at, options);
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name, const LoadOptions& options) {
  const ReadAt read_at = [&](void* dst, uint64_t offset, uint64_t n, const std::string& what) {
    if (offset > bytes.size() || n > bytes.size() - offset)
      throw FormatError(str_cat("safetensors file '", name, "': ", what, " ends early"));
    std::memcpy(dst, bytes.data() + offset, n);
  };
  return load_from(name, bytes.size(), read_at, options);
}

}  // namespace momenta::io
