#include "momenta/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "momenta/error.h"

namespace momenta::data {
namespace {

namespace fs = std::filesystem;

// Refuses headers that promise more than 16 GiB: no IDX dataset comes near, and a corrupt
// header must not make us allocate terabytes before noticing the file is short.
constexpr int64_t kMaxIdxBytes = int64_t{1} << 34;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

const char* type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

std::string hex8(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

std::string describe_magic(uint32_t magic) {
  const char* t = type_name(static_cast<uint8_t>(magic >> 8));
  const uint32_t ndims = magic & 0xFF;
  return str_cat(hex32(magic), " (", t ? t : "unknown type", ", ", ndims, ndims == 1 ? " dimension)" : " dimensions)");
}

// A file read front to back, decompressing on the fly when it starts with the gzip magic.
class ByteSource {
 public:
  explicit ByteSource(const std::string& path) : path_(path) {
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    check<IOError>(!ec, path, ": cannot access: ", ec.message());
    check<IOError>(exists, path, ": no such file");
    check<IOError>(!fs::is_directory(path, ec), path, ": is a directory, expected an IDX file");
    file_ = std::fopen(path.c_str(), "rb");
    check<IOError>(file_ != nullptr, path, ": cannot open: ", std::strerror(errno));
    unsigned char head[2] = {0, 0};
    const size_t got = std::fread(head, 1, 2, file_);
    if (got == 2 && head[0] == 0x1f && head[1] == 0x8b) {
      std::fclose(file_);
      file_ = nullptr;
      gz_ = gzopen(path.c_str(), "rb");
      check<IOError>(gz_ != nullptr, path, ": cannot open: ", std::strerror(errno));
      gzbuffer(gz_, 1 << 17);
    } else if (std::fseek(file_, 0, SEEK_SET) != 0) {
      const int err = errno;
      std::fclose(file_);
      throw IOError(str_cat(path, ": cannot read: ", std::strerror(err)));
    }
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  ~ByteSource() {
    if (file_) std::fclose(file_);
    if (gz_) gzclose(gz_);
  }

  bool gzip() const { return gz_ != nullptr; }
  // Bytes in a plain file (unknown, -1, for gzip).
  int64_t plain_size() const {
    std::error_code ec;
    const auto n = fs::file_size(path_, ec);
    return gz_ || ec ? -1 : static_cast<int64_t>(n);
  }

  // Reads up to n bytes; fewer only at the end of the data. Throws on read errors and on a
  // corrupt or cut-off gzip stream.
  size_t read(void* dst, size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    size_t total = 0;
    while (total < n) {
      const size_t want = std::min<size_t>(n - total, 1u << 30);
      size_t got = 0;
      if (file_) {
        got = std::fread(out + total, 1, want, file_);
        check<IOError>(!std::ferror(file_), path_, ": read error: ", std::strerror(errno));
      } else {
        const int r = gzread(gz_, out + total, static_cast<unsigned>(want));
        check_gzip();
        got = r > 0 ? static_cast<size_t>(r) : 0;
      }
      total += got;
      if (got == 0) break;
    }
    return total;
  }

 private:
  // gzread reports problems through gzerror, sometimes after returning a partial read.
  void check_gzip() {
    int errnum = Z_OK;
    const char* msg = gzerror(gz_, &errnum);
    if (errnum == Z_OK) return;
    check<IOError>(errnum != Z_ERRNO, path_, ": read error: ", std::strerror(errno));
    // zlib prefixes its message with the path; we already lead with it.
    std::string text = msg ? msg : "unknown error";
    const std::string prefix = path_ + ": ";
    if (text.starts_with(prefix)) text = text.substr(prefix.size());
    if (errnum == Z_BUF_ERROR) {
      throw FormatError(str_cat(path_, ": the gzip stream is corrupt: it ends early, the file is truncated (zlib: ",
                                text, ")"));
    }
    throw FormatError(str_cat(path_, ": the gzip stream is corrupt (zlib: ", text, ")"));
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  gzFile gz_ = nullptr;
};

uint32_t big_endian_u32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

IdxArray read_idx(const std::string& path, std::optional<uint32_t> expected_magic) {
  ByteSource src(path);
  const char* stream = src.gzip() ? "the decompressed data" : "the file";

  unsigned char head[4];
  const size_t got_magic = src.read(head, 4);
  check<FormatError>(got_magic == 4, path, ": truncated IDX header: ", stream, " ends after ", got_magic,
                     " bytes, the magic number needs 4");
  IdxArray out;
  out.magic = big_endian_u32(head);
  if (expected_magic) {
    check<FormatError>(out.magic == *expected_magic, path, ": wrong magic number ", describe_magic(out.magic),
                       ", expected ", describe_magic(*expected_magic));
  }
  check<FormatError>(head[0] == 0 && head[1] == 0, path, ": wrong magic number ", hex32(out.magic),
                     ", expected 0x0000TTNN (two zero bytes, a type code, the number of dimensions)");
  const uint8_t type = head[2];
  const char* tname = type_name(type);
  check<FormatError>(tname != nullptr, path, ": unknown IDX type code ", hex8(type),
                     ", expected 0x08 (unsigned byte)");
  check<FormatError>(type == kIdxTypeUByte, path, ": unsupported IDX type code ", hex8(type), " (",
                     tname, "), only 0x08 (unsigned byte) is supported");
  const int ndims = head[3];
  check<FormatError>(ndims >= 1, path, ": IDX header declares 0 dimensions, expected at least 1");
  // Datasets are 1-D (labels) or 3-D (images); 8 leaves room and keeps messages that list the
  // dimensions short (the byte allows 255; a fuzzed header once made a 1,768-character message).
  constexpr int kMaxIdxDims = 8;
  check<FormatError>(ndims <= kMaxIdxDims, path, ": IDX header declares ", ndims, " dimensions, expected at most ",
                     kMaxIdxDims, "; the header is probably corrupt");

  std::vector<unsigned char> dim_bytes(4 * static_cast<size_t>(ndims));
  const size_t got_dims = src.read(dim_bytes.data(), dim_bytes.size());
  check<FormatError>(got_dims == dim_bytes.size(), path, ": truncated IDX header: ", stream, " ends after ",
                     4 + got_dims, " bytes, the header of a ", ndims, "-dimensional array needs ",
                     4 + dim_bytes.size());
  // The limit applies to the product of the non-zero dimensions too: with N = 0 the element
  // count is 0 whatever the others say, and a 0 x 4294967295 x 4294967295 array must not reach
  // code that multiplies rows by columns.
  int64_t expected = 1, nonzero = 1;
  std::string dims_text;
  for (int i = 0; i < ndims; ++i) {
    const int64_t d = big_endian_u32(&dim_bytes[4 * static_cast<size_t>(i)]);
    out.dims.push_back(d);
    dims_text += (i ? " x " : "") + std::to_string(d);
    if (d == 0) {
      expected = 0;
    } else if (nonzero > kMaxIdxBytes / d) {
      nonzero = kMaxIdxBytes + 1;
    } else {
      nonzero *= d;
      expected *= d;
    }
  }
  check<FormatError>(nonzero <= kMaxIdxBytes, path, ": IDX header promises ", dims_text,
                     " elements, more than the 16 GiB limit; the header is probably corrupt");

  const int64_t header_bytes = 4 + 4 * int64_t{ndims};
  const int64_t file_bytes = src.plain_size();
  const auto truncated = [&](int64_t have) {
    return FormatError(str_cat(path, ": truncated IDX file: the header promises ", dims_text, " = ", expected,
                               " data bytes but ", stream, " holds only ", have));
  };
  const auto trailing_error = [&](const std::string& count) {
    return FormatError(str_cat(path, ": ", count, " unexpected bytes after the ", dims_text,
                               " array the header describes; the header or the file is wrong"));
  };
  // A plain file's size is known: fail before allocating for a header that lies.
  if (file_bytes >= 0 && file_bytes - header_bytes < expected) throw truncated(file_bytes - header_bytes);
  if (file_bytes >= 0 && file_bytes - header_bytes > expected)
    throw trailing_error(std::to_string(file_bytes - header_bytes - expected));

  // Grows the buffer as data arrives, for the same reason with gzip files.
  constexpr int64_t kChunk = int64_t{1} << 24;
  int64_t have = 0;
  while (have < expected) {
    const int64_t want = std::min(kChunk, expected - have);
    out.bytes.resize(static_cast<size_t>(have + want));
    const size_t got = src.read(out.bytes.data() + have, static_cast<size_t>(want));
    have += static_cast<int64_t>(got);
    if (static_cast<int64_t>(got) < want) throw truncated(have);
  }
  // Reading past the end also makes zlib verify the gzip checksum and length. A header that
  // promises less than the stream holds is refused after one look, without inflating the rest
  // (which may be gigabytes).
  unsigned char extra[4096];
  const size_t trailing = src.read(extra, sizeof extra);
  if (trailing == sizeof extra) throw trailing_error(str_cat("at least ", trailing));
  if (trailing > 0) throw trailing_error(std::to_string(trailing));
  return out;
}

ImageDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                              std::optional<int64_t> num_classes, Normalization norm) {
  IdxArray images = read_idx(images_path, kIdxImagesMagic);
  IdxArray labels = read_idx(labels_path, kIdxLabelsMagic);
  // An empty set would train on nothing and report success.
  check<FormatError>(images.dims[0] > 0, images_path, ": the IDX header declares 0 images; expected at least one");
  check<FormatError>(images.dims[1] > 0 && images.dims[2] > 0, images_path, ": the IDX header declares images of ",
                     images.dims[1], " x ", images.dims[2], " pixels; expected at least 1 x 1");
  check<FormatError>(images.dims[0] == labels.dims[0], "image/label count mismatch: ", images_path, " holds ",
                     images.dims[0], " images but ", labels_path, " holds ", labels.dims[0], " labels");

  std::vector<int64_t> label_values(labels.bytes.begin(), labels.bytes.end());
  int64_t classes = 0;
  if (num_classes) {
    classes = *num_classes;
    check<ValueError>(classes >= 1, "load_idx_dataset: num_classes must be at least 1, got ", classes);
    for (size_t i = 0; i < label_values.size(); ++i) {
      check<FormatError>(label_values[i] < classes, labels_path, ": label ", label_values[i], " at index ", i,
                         " is outside [0, ", classes, ")");
    }
  } else {
    for (int64_t v : label_values) classes = std::max(classes, v + 1);
    classes = std::max<int64_t>(classes, 1);
  }
  return ImageDataset(std::move(images.bytes), Shape{1, images.dims[1], images.dims[2]}, std::move(label_values),
                      classes, std::move(norm));
}

}  // namespace momenta::data
