#include "momenta/data/image_folder.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <set>

#include "data/file_bytes.h"
#include "momenta/error.h"

namespace momenta::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxSide = 1 << 16;

// NOTE [image size limit]: a decode allocates what the header claims (w x h x channels bytes,
// in each decoding thread at once), so the header is read with stbi_info and checked first.
// 8192 per side (64M pixels, 192 MB as RGB) is far above any image a dataset for this engine
// holds, which are resized to at most a few hundred pixels, and keeps a 16-thread decode under
// a few GB; a 40000x40000 header once cost 1.7 GB before failing.
constexpr int kMaxDecodeSide = 8192;
constexpr int64_t kMaxDecodePixels = int64_t{kMaxDecodeSide} * kMaxDecodeSide;

uint32_t le_u32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// stb_image reads past the end of an uncompressed BMP as zeros, so a BMP whose header claims more
// pixel rows than the file holds would decode as a black image; refuse it by its sizes instead.
constexpr uint64_t kMaxPixelsPerByte = 4096;

void check_bmp_size(const uint8_t* data, size_t size, const std::string& path) {
  if (size < 34 || data[0] != 'B' || data[1] != 'M') return;
  const uint32_t header_size = le_u32(data + 14);
  if (header_size < 40) return;  // OS/2 headers: 16-bit fields, rare; stb checks them itself
  const uint64_t offset = le_u32(data + 10);
  const auto width = static_cast<int32_t>(le_u32(data + 18));
  const auto height = static_cast<int32_t>(le_u32(data + 22));
  const uint64_t bits = uint64_t{data[28]} | (uint64_t{data[29]} << 8);
  const uint32_t compression = le_u32(data + 30);
  if ((compression != 0 && compression != 3) || width <= 0 || height == 0 || bits == 0) return;  // stb decides
  const uint64_t rows = height < 0 ? uint64_t{0} - static_cast<uint64_t>(static_cast<int64_t>(height))
                                   : static_cast<uint64_t>(height);
  const uint64_t row_bytes = (static_cast<uint64_t>(width) * bits + 31) / 32 * 4;
  const uint64_t needed = offset + row_bytes * rows;
  check<FormatError>(needed <= size, path, ": truncated BMP: the header claims ", width, "x", rows, " pixels at ",
                     bits, " bits, ", needed, " bytes with the pixel data, but the file holds ", size);
}

// Debian's stb_image (2.27) writes past the end of its Huffman size table when a JPEG's DHT segment
// lists more than 256 codes in one table (stbi__build_huffman; found by fuzz/image_fuzz.cpp, input
// in fuzz/regressions/image/). A valid table has at most 256 symbols, so the marker segments are
// walked and such a table is refused before stb sees the file. Entropy-coded data after a scan
// (SOS) is skipped to the next marker, so the DHTs of progressive JPEGs between scans are checked too.
void check_jpeg_huffman_tables(const uint8_t* data, size_t size, const std::string& path) {
  // stb takes a marker as 0xFF, any number of 0xFF fill bytes, then the code: so does this walk.
  size_t i = 0;
  while (i < size && data[i] == 0xFF) ++i;
  if (i == 0 || i >= size || data[i] != 0xD8) return;  // not a JPEG (no SOI)
  ++i;
  const auto byte = [&](size_t at) -> size_t { return at < size ? data[at] : 0; };  // stb reads 0 past the end
  while (i + 1 < size) {
    if (data[i] != 0xFF) {  // entropy-coded data after a scan: find the next marker
      ++i;
      continue;
    }
    const uint8_t marker = data[i + 1];
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += marker == 0xFF ? 1 : 2;  // fill byte, stuffed zero, restart marker, TEM: no length
      continue;
    }
    if (marker == 0xD9) return;  // end of image
    const int64_t length = static_cast<int64_t>((byte(i + 2) << 8) | byte(i + 3));
    if (marker == 0xC4) {
      // As stb reads a DHT segment: tables while the declared length lasts, even past the file's end.
      size_t t = i + 4;
      for (int64_t left = length - 2; left > 0;) {
        size_t codes = 0;
        for (size_t k = 0; k < 16; ++k) codes += byte(t + 1 + k);
        check<FormatError>(codes <= 256, path, ": corrupt JPEG: a Huffman table (DHT) lists ", codes,
                           " codes, more than the 256 a table can hold");
        t += 17 + codes;
        left -= static_cast<int64_t>(17 + codes);
      }
    }
    if (length < 2) return;  // stb reports a bad length
    i += 2 + static_cast<size_t>(length);
  }
}

// NOTE [PNM header]: stb_image 2.27 reads binary PGM/PPM (P5/P6) with three faults, all found by
// fuzz/image_fuzz.cpp (inputs in fuzz/regressions/image/): its header integers overflow an int
// (stbi__pnm_getinteger, signed overflow); a 16-bit file (maxval > 255) converted to another
// channel count goes through the 8-bit converter and then reads twice the buffer it made
// (stbi__convert_16_to_8, a heap overflow); and it ignores maxval, so a file with maxval 15 would
// decode unscaled (15 as 15/255). So the header is read here, as stb reads it (magic, then width,
// height and maxval, each after whitespace and '#' comments, the one byte after maxval ending the
// header), and only 8-bit files (maxval 255) whose pixel data is all in the file go on to stb.
void check_pnm_header(const uint8_t* data, size_t size, const std::string& path) {
  if (size < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '6')) return;  // not a PNM stb reads
  const int64_t channels = data[1] == '6' ? 3 : 1;
  size_t i = 2;
  const auto space = [](uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
  const auto skip = [&] {  // whitespace and comments
    for (;;) {
      while (i < size && space(data[i])) ++i;
      if (i >= size || data[i] != '#') return;
      while (i < size && data[i] != '\n' && data[i] != '\r') ++i;
    }
  };
  const auto number = [&](const char* field) {
    skip();
    int64_t value = 0;
    size_t digits = 0;
    for (; i < size && data[i] >= '0' && data[i] <= '9'; ++i, ++digits) {
      check<FormatError>(digits < 9, path, ": corrupt PNM header: the ", field, " has more than 9 digits");
      value = value * 10 + (data[i] - '0');
    }
    check<FormatError>(digits > 0, path, ": corrupt PNM header: expected the ", field, " (a decimal number)");
    return value;
  };
  const int64_t w = number("width");
  const int64_t h = number("height");
  const int64_t maxval = number("maxval");
  check<FormatError>(maxval == 255, path, ": PNM maxval is ", maxval,
                     "; this reader decodes 8-bit PGM/PPM only (maxval 255: stb_image neither scales other maxvals "
                     "nor converts 16-bit files safely)");
  const uint64_t header = i + 1;  // the single whitespace byte after maxval
  check<FormatError>(w >= 1 && h >= 1 && w <= kMaxDecodeSide && h <= kMaxDecodeSide, path,
                     ": the image header claims ", w, "x", h, " pixels, outside 1 to ", kMaxDecodeSide,
                     " per side (a corrupt or hostile header?)");
  const uint64_t pixels = static_cast<uint64_t>(w * h * channels);
  check<FormatError>(header + pixels <= size, path, ": truncated PNM: the header claims ", w, "x", h, "x", channels,
                     " bytes of pixels, the file holds ", size > header ? size - header : 0);
}

// stb concatenates a PNG's IDAT chunks with realloc sized by each chunk's length field before it
// reads the bytes, so a 243-byte file claiming a 2 GB chunk made a 2 GB allocation (found by
// fuzz/image_fuzz.cpp). Every chunk up to IEND must lie inside the file.
void check_png_chunks(const uint8_t* data, size_t size, const std::string& path) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size < 8 || std::memcmp(data, kSignature, 8) != 0) return;
  for (size_t at = 8; at + 8 <= size;) {
    const uint64_t length = (uint64_t{data[at]} << 24) | (uint64_t{data[at + 1]} << 16) |
                            (uint64_t{data[at + 2]} << 8) | uint64_t{data[at + 3]};
    const std::string type(reinterpret_cast<const char*>(data + at + 4), 4);
    check<FormatError>(at + 12 + length <= size, path, ": truncated PNG: chunk '", excerpt(type), "' at byte ", at,
                       " claims ", length, " bytes, the file holds ", size);
    if (type == "IEND") return;
    at += 12 + static_cast<size_t>(length);
  }
}

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// The formats stb_image decodes.
bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> kExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".gif",
                                                    ".tga", ".pgm", ".ppm",  ".pnm"};
  return kExtensions.count(ext) != 0;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The image files below one class folder, in path order.
std::vector<std::string> class_files(const fs::path& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, ec);  // links to folders are not followed (no cycles)
  check<IOError>(!ec, folder.string(), ": cannot list: ", ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    check<IOError>(!ec, folder.string(), ": cannot list: ", ec.message());
    std::error_code entry_ec;  // an entry whose status cannot be read (a broken link) is skipped
    if (is_hidden(it->path())) {
      if (it->is_directory(entry_ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(entry_ec) && has_image_extension(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

void resize_bilinear(const uint8_t* src, int64_t channels, int64_t src_h, int64_t src_w, uint8_t* dst, int64_t dst_h,
                     int64_t dst_w) {
  // Source coordinate of destination pixel centre d: (d + 0.5) * src / dst - 0.5, clamped.
  struct Tap {
    int64_t i0, i1;
    double w1;
  };
  const auto taps = [](int64_t src_n, int64_t dst_n) {
    std::vector<Tap> t(static_cast<size_t>(dst_n));
    const double scale = static_cast<double>(src_n) / static_cast<double>(dst_n);
    for (int64_t d = 0; d < dst_n; ++d) {
      const double f = std::clamp((static_cast<double>(d) + 0.5) * scale - 0.5, 0.0, static_cast<double>(src_n - 1));
      const int64_t i0 = static_cast<int64_t>(std::floor(f));
      t[static_cast<size_t>(d)] = Tap{i0, std::min(i0 + 1, src_n - 1), f - static_cast<double>(i0)};
    }
    return t;
  };
  const std::vector<Tap> ys = taps(src_h, dst_h), xs = taps(src_w, dst_w);
  for (int64_t c = 0; c < channels; ++c) {
    const uint8_t* plane = src + c * src_h * src_w;
    for (int64_t y = 0; y < dst_h; ++y) {
      const Tap ty = ys[static_cast<size_t>(y)];
      const uint8_t* r0 = plane + ty.i0 * src_w;
      const uint8_t* r1 = plane + ty.i1 * src_w;
      for (int64_t x = 0; x < dst_w; ++x) {
        const Tap tx = xs[static_cast<size_t>(x)];
        const double top = r0[tx.i0] + tx.w1 * (r0[tx.i1] - r0[tx.i0]);
        const double bottom = r1[tx.i0] + tx.w1 * (r1[tx.i1] - r1[tx.i0]);
        const double v = top + ty.w1 * (bottom - top);
        dst[(c * dst_h + y) * dst_w + x] = static_cast<uint8_t>(std::clamp(std::floor(v + 0.5), 0.0, 255.0));
      }
    }
  }
}

std::vector<uint8_t> read_image(const std::string& path, int64_t channels, int64_t height, int64_t width) {
  check<ValueError>(channels == 1 || channels == 3, "read_image: channels must be 1 or 3, got ", channels);
  check<ValueError>(height >= 1 && height <= kMaxSide && width >= 1 && width <= kMaxSide, "read_image: size ", height,
                    "x", width, " is outside [1, ", kMaxSide, "]");
  const std::vector<uint8_t> bytes =
      read_file_bytes(path, "expected an image file", static_cast<uint64_t>(std::numeric_limits<int>::max()));
  check<FormatError>(!bytes.empty(), path, ": empty file, expected an image");
  return decode_image(bytes.data(), bytes.size(), path, channels, height, width);
}

std::vector<uint8_t> decode_image(const uint8_t* data, size_t size, const std::string& path, int64_t channels,
                                  int64_t height, int64_t width) {
  check<ValueError>(channels == 1 || channels == 3, "decode_image: channels must be 1 or 3, got ", channels);
  check<ValueError>(height >= 1 && height <= kMaxSide && width >= 1 && width <= kMaxSide, "decode_image: size ",
                    height, "x", width, " is outside [1, ", kMaxSide, "]");
  check<FormatError>(size > 0, path, ": empty file, expected an image");
  check<FormatError>(size <= static_cast<size_t>(std::numeric_limits<int>::max()), path, ": ", size,
                     " bytes is too large an image file");
  check_jpeg_huffman_tables(data, size, path);  // before stb parses any of it, stbi_info included
  check_pnm_header(data, size, path);            // likewise
  // The header first: what it claims decides the allocation, so it is checked before decoding.
  int w = 0, h = 0, stored_channels = 0;
  if (stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &stored_channels) == 0) {
    const char* why = stbi_failure_reason();
    throw FormatError(str_cat(path, ": cannot decode image (", why ? why : "unknown reason",
                              "); expected PNG, JPEG, BMP, GIF, TGA or PNM"));
  }
  check<FormatError>(w >= 1 && h >= 1 && w <= kMaxDecodeSide && h <= kMaxDecodeSide &&
                         static_cast<int64_t>(w) * h <= kMaxDecodePixels,
                     path, ": the image header claims ", w, "x", h, " pixels, more than the ", kMaxDecodeSide,
                     "x", kMaxDecodeSide, " this reader decodes (a corrupt or hostile header?)");
  check_bmp_size(data, size, path);
  check_png_chunks(data, size, path);
  // No format stb reads packs more than a few thousand pixels into one byte (deflate's limit is
  // about 1032:1, a GIF's 12-bit codes about 2730:1), so a header claiming more is a truncated or
  // hostile file whose missing pixels stb would fill with zeros (a 372-byte file once decoded to
  // tens of millions of pixels).
  check<FormatError>(static_cast<uint64_t>(w) * static_cast<uint64_t>(h) <= uint64_t{kMaxPixelsPerByte} * size, path,
                     ": the image header claims ", w, "x", h, " pixels, more than ", kMaxPixelsPerByte,
                     " per byte of its ", size, "-byte file (truncated or corrupt)");
  stbi_uc* pixels = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &stored_channels,
                                          static_cast<int>(channels));
  if (pixels == nullptr) {
    const char* why = stbi_failure_reason();
    throw FormatError(str_cat(path, ": cannot decode image (", why ? why : "unknown reason",
                              "); expected PNG, JPEG, BMP, GIF, TGA or PNM"));
  }
  const std::unique_ptr<stbi_uc, void (*)(void*)> owned(pixels, stbi_image_free);
  check<FormatError>(w >= 1 && h >= 1 && w <= kMaxDecodeSide && h <= kMaxDecodeSide &&
                         static_cast<int64_t>(w) * h <= kMaxDecodePixels,
                     path, ": decoded to ", w, "x", h, " pixels, outside what its header claimed");
  // stb gives interleaved [h, w, channels]; samples are planar [channels, h, w].
  const int64_t hw = static_cast<int64_t>(h) * w;
  std::vector<uint8_t> planar(static_cast<size_t>(channels * hw));
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t c = 0; c < channels; ++c) planar[static_cast<size_t>(c * hw + p)] = pixels[p * channels + c];
  }
  if (h == height && w == width) return planar;
  std::vector<uint8_t> out(static_cast<size_t>(channels * height * width));
  resize_bilinear(planar.data(), channels, h, w, out.data(), height, width);
  return out;
}

ImageFolder load_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  check<ValueError>(options.channels == 1 || options.channels == 3, "image folder: channels must be 1 or 3, got ",
                    options.channels);
  check<ValueError>(
      options.height >= 1 && options.height <= kMaxSide && options.width >= 1 && options.width <= kMaxSide,
      "image folder: size ", options.height, "x", options.width, " is outside [1, ", kMaxSide, "]");
  std::error_code ec;
  check<IOError>(fs::is_directory(dir, ec), "image folder '", dir, "' does not exist or is not a directory");

  std::vector<std::string> folders;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;  // an entry whose status cannot be read (a broken link) is skipped
    if (!is_hidden(it->path()) && it->is_directory(entry_ec)) folders.push_back(it->path().filename().string());
  }
  check<IOError>(!ec, "image folder '", dir, "': cannot list: ", ec.message());
  std::sort(folders.begin(), folders.end());
  check<FormatError>(!folders.empty(), "image folder '", dir,
                     "' has no class sub-folders; expected one folder of images per class");

  ImageFolder out;
  out.class_names = options.classes.empty() ? folders : options.classes;
  std::vector<std::string> sorted = out.class_names;
  std::sort(sorted.begin(), sorted.end());
  check<ValueError>(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), "image folder: the class list (",
                    join(out.class_names), ") names a class twice");
  std::vector<int64_t> labels;
  for (const std::string& folder : folders) {
    const auto pos = std::find(out.class_names.begin(), out.class_names.end(), folder);
    check<FormatError>(pos != out.class_names.end(), "image folder '", dir, "': class folder '", folder,
                       "' is not one of the known classes (", join(out.class_names), ")");
    const fs::path path = fs::path(dir) / folder;
    std::vector<std::string> files = class_files(path);
    check<FormatError>(!files.empty(), "image folder '", dir, "': class folder '", path.string(),
                       "' holds no image (.png, .jpg, .jpeg, .bmp, .gif, .tga, .pgm, .ppm, .pnm)");
    labels.insert(labels.end(), files.size(), static_cast<int64_t>(pos - out.class_names.begin()));
    out.files.insert(out.files.end(), files.begin(), files.end());
  }

  // Decoding is independent per file; the error reported is the first file's in sample order,
  // whatever the thread count.
  const int64_t n = static_cast<int64_t>(out.files.size());
  const int64_t per_sample = options.channels * options.height * options.width;
  std::vector<uint8_t> images(static_cast<size_t>(n * per_sample));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; ++i) {
    try {
      const std::vector<uint8_t> img =
          read_image(out.files[static_cast<size_t>(i)], options.channels, options.height, options.width);
      std::copy(img.begin(), img.end(), images.begin() + i * per_sample);
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  out.dataset = ImageDataset(std::move(images), Shape{options.channels, options.height, options.width},
                             std::move(labels), static_cast<int64_t>(out.class_names.size()), options.norm);
  return out;
}

ImageFolderSplits load_image_folder_splits(const std::string& root, const ImageFolderOptions& options) {
  std::error_code ec;
  const fs::path train = fs::path(root) / "train";
  check<IOError>(fs::is_directory(train, ec), "image folder '", root, "' has no train/ sub-folder");
  fs::path test = fs::path(root) / "test";
  if (!fs::is_directory(test, ec)) test = fs::path(root) / "val";
  check<IOError>(fs::is_directory(test, ec), "image folder '", root, "' has no test/ or val/ sub-folder");
  ImageFolderSplits s;
  s.train = load_image_folder(train.string(), options);
  ImageFolderOptions test_options = options;
  test_options.classes = s.train.class_names;
  s.test = load_image_folder(test.string(), test_options);
  return s;
}

}  // namespace momenta::data
