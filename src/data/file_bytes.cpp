#include "data/file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "momenta/error.h"

namespace momenta::data {

std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  check<IOError>(!ec, path, ": cannot access: ", ec.message());
  check<IOError>(exists, path, ": no such file");
  check<IOError>(!fs::is_directory(path, ec), path, ": is a directory, ", what);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  check<IOError>(f != nullptr, path, ": cannot open: ", std::strerror(errno));
  std::vector<uint8_t> bytes;
  const auto size = fs::file_size(path, ec);
  if (!ec) bytes.reserve(static_cast<size_t>(size));
  uint8_t chunk[1 << 16];
  for (;;) {
    const size_t got = std::fread(chunk, 1, sizeof chunk, f);
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got < sizeof chunk) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  check<IOError>(!failed, path, ": cannot read: ", std::strerror(err));
  return bytes;
}

}  // namespace momenta::data
