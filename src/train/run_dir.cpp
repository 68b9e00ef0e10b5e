#include "momenta/train/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>

#include "momenta/error.h"
#include "momenta/io/metrics.h"

namespace momenta::train {
namespace {

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// The pid a lock holder wrote into the lock file ("" when unreadable).
std::string read_holder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char c : s)
    if (c < '0' || c > '9') return "";
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;  // EPERM: alive, another user's
}

// The epoch of one record, or -1 when the line is not a record with an integer epoch.
int64_t record_epoch(const std::string& line, bool csv, size_t epoch_col) {
  if (csv) {
    const auto fields = io::split_csv_line(line);
    const std::string f = epoch_col < fields.size() ? fields[epoch_col] : std::string();
    if (!all_digits(f) || f.size() > 18) return -1;
    return std::stoll(f);
  }
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return -1;
  const auto it = j.find("epoch");
  if (it == j.end() || !it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

}  // namespace

RunDirLock::RunDirLock(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IOError(str_cat("cannot create the lock file '", path, "': ", errno_text(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = err == EWOULDBLOCK ? read_holder(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw IOError(str_cat("cannot lock '", path, "': ", errno_text(err)));
    throw IOError(str_cat("run directory '", dir, "' is in use by another momenta run",
                          holder.empty() ? std::string() : str_cat(" (pid ", holder, ")"),
                          "; wait for it to finish or choose another --out"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The pid is only for the message of a refused run; the lock itself holds.
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays (removing it would race a new locker)
}

std::vector<std::string> remove_stale_temp_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0) continue;
    const std::string_view pid = std::string_view(name).substr(at + 5);
    if (!all_digits(pid) || !it->is_regular_file()) continue;
    if (process_alive(std::stol(std::string(pid)))) continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) removed.push_back(it->path().string());
  }
  return removed;
}

int64_t truncate_metrics(const std::string& path, int64_t last_epoch) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return 0;
    throw IOError(str_cat("cannot read '", path, "'"));
  }
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  std::string line;
  std::streamoff keep = 0;  // bytes to keep
  int64_t lines = 0, removed = 0;
  size_t epoch_col = 0;
  bool cut = false;
  while (std::getline(in, line)) {
    const bool complete = !in.eof();  // a last line without its newline was torn by a kill
    ++lines;
    if (csv && lines == 1) {
      const auto header = io::split_csv_line(line);
      const auto it = std::find(header.begin(), header.end(), "epoch");
      if (it == header.end() && complete) return 0;  // no epoch column: not a trainer's file; leave it
      epoch_col = static_cast<size_t>(it - header.begin());
      cut = !complete;
    } else if (!cut) {
      const int64_t e = record_epoch(line, csv, epoch_col);
      if (!complete || e < 0 || e > last_epoch) cut = true;
    }
    if (cut) {
      ++removed;
    } else {
      keep += static_cast<std::streamoff>(line.size()) + 1;
    }
  }
  if (removed == 0) return 0;
  in.close();
  std::error_code ec;
  std::filesystem::resize_file(path, static_cast<uintmax_t>(keep), ec);
  if (ec) throw IOError(str_cat("cannot cut '", path, "' back to the checkpoint's epochs: ", ec.message()));
  return removed;
}

}  // namespace momenta::train
