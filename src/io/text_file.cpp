#include "momenta/io/text_file.h"

#include <cerrno>
#include <system_error>

#include "momenta/error.h"

namespace momenta::io {

TextFileWriter::TextFileWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr)
    throw IOError(str_cat("cannot write '", path_, "': ", std::error_code(errno, std::generic_category()).message()));
}

TextFileWriter::~TextFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void TextFileWriter::fail(int err) {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  throw IOError(str_cat("could not write '", path_, "': ",
                        err != 0 ? std::error_code(err, std::generic_category()).message() : "write error"));
}

void TextFileWriter::write(std::string_view text) {
  check<IOError>(file_ != nullptr, "'", path_, "' is already closed");
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) fail(errno);
}

void TextFileWriter::close() {
  if (file_ == nullptr) return;
  errno = 0;
  // The buffered tail reaches the system here; a full disk or a failed device shows up now.
  if (std::fflush(file_) != 0 || std::ferror(file_) != 0) fail(errno);
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    const int err = errno;
    throw IOError(str_cat("could not write '", path_, "': ", std::error_code(err, std::generic_category()).message()));
  }
}

void write_text_file(const std::string& path, const std::string& text) {
  TextFileWriter out(path);
  out.write(text);
  out.close();
}

}  // namespace momenta::io
