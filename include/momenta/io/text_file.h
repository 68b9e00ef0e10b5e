// Writing output files so that a failed write is never silent: every write is checked, and so
// are the final flush and close (where a full disk shows up for small files: `momenta optimize
// --out /dev/full` used to exit 0). Errors are IOError naming the path and the system's reason:
//
//   cannot write '/no/such/dir/x.csv': No such file or directory   (at open)
//   could not write '/dev/full': No space left on device           (at a write or close)
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace momenta::io {

class TextFileWriter {
 public:
  // Creates or truncates `path`; IOError when it cannot be opened for writing.
  explicit TextFileWriter(std::string path);
  // Closes the file if close() was not called (an exception is already on its way), ignoring errors.
  ~TextFileWriter();
  TextFileWriter(const TextFileWriter&) = delete;
  TextFileWriter& operator=(const TextFileWriter&) = delete;

  void write(std::string_view text);  // IOError on failure
  // Flushes and closes; IOError when anything written did not reach the file.
  void close();
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(int err);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Writes `text` to `path` (IOError when it cannot, including at close).
void write_text_file(const std::string& path, const std::string& text);

}  // namespace momenta::io
