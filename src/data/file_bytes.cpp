#include "data/file_bytes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "momenta/error.h"

namespace momenta::data {

uint64_t regular_file_size(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  check<IOError>(!ec || ec == std::errc::no_such_file_or_directory, path, ": cannot access: ", ec.message());
  check<IOError>(fs::exists(status), path, ": no such file");
  check<IOError>(!fs::is_directory(status), path, ": is a directory, ", what);
  check<IOError>(fs::is_regular_file(status), path, ": is not a regular file, ", what);
  const auto size = fs::file_size(path, ec);
  check<IOError>(!ec, path, ": cannot read its size: ", ec.message());
  return size;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what, uint64_t max_bytes) {
  const uint64_t size = regular_file_size(path, what);
  check<FormatError>(size <= max_bytes, path, ": ", size, " bytes, more than the ", max_bytes, " bytes allowed (",
                     what, ")");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  check<IOError>(f != nullptr, path, ": cannot open: ", std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  const size_t got = size == 0 ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  // One more byte than the size said means the file grew while we read it.
  const bool longer = !failed && got == bytes.size() && std::fgetc(f) != EOF;
  std::fclose(f);
  check<IOError>(!failed, path, ": cannot read: ", std::strerror(err));
  check<IOError>(got == bytes.size() && !longer, path, ": changed size while being read (", size, " bytes expected)");
  return bytes;
}

}  // namespace momenta::data
