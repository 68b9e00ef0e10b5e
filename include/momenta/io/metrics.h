// Training metrics as JSON Lines (one object per record) and CSV (one row per record).
//
// NOTE [metrics columns]: the JSONL file is the complete log; the CSV is a fixed table for
// spreadsheets and plotting. Its columns are declared up front (MetricsOptions::columns) or taken
// from the first record, or, when appending, from the existing file's header row. A later record
// may omit columns (empty cells) or carry new keys: new keys go to the JSONL only (and are listed
// by csv_dropped_keys()), so a diagnostic that appears mid-run never stops training. Declare the
// columns when records of different kinds (train step, evaluation) share one writer.
//
// Each record is flushed to the operating system as it is written, so a crash of the process
// loses nothing; there is no fsync per record (power loss may lose the last few). Non-finite
// reals are written as null in JSONL (JSON has no NaN) and as nan, inf, -inf in CSV.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace momenta::io {

// An integer, a real number or a string.
class MetricValue {
 public:
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  MetricValue(I v) : value_(static_cast<int64_t>(v)) {}
  template <std::floating_point F>
  MetricValue(F v) : value_(static_cast<double>(v)) {}
  MetricValue(std::string v) : value_(std::move(v)) {}
  MetricValue(const char* v) : value_(std::string(v)) {}

  const std::variant<int64_t, double, std::string>& value() const { return value_; }

 private:
  std::variant<int64_t, double, std::string> value_;
};

// Keys in the order they should appear, e.g. {{"step", 10}, {"loss", 0.25}, {"optimizer", "adam"}}.
using MetricsRecord = std::vector<std::pair<std::string, MetricValue>>;

struct MetricsOptions {
  // Continue existing files (resuming a run) instead of replacing them.
  bool append = false;
  // CSV columns; empty: taken from the first record (see NOTE [metrics columns]).
  std::vector<std::string> columns;
};

// Not thread-safe: one writer per pair of files.
class MetricsWriter {
 public:
  // An empty path skips that file. Throws IOError when a file cannot be opened or read, and
  // ValueError when appending to a CSV whose header differs from the declared columns.
  MetricsWriter(const std::string& jsonl_path, const std::string& csv_path, MetricsOptions options = {});
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  // Appends one record to both files and flushes them. Throws ValueError for an empty record or
  // a repeated key, IOError when a write fails.
  void write(const MetricsRecord& record);

  // The CSV columns (empty until fixed).
  const std::vector<std::string>& columns() const { return columns_; }
  // Keys seen in records that are not CSV columns (written to the JSONL only).
  const std::set<std::string>& csv_dropped_keys() const { return dropped_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const;
  };
  using File = std::unique_ptr<std::FILE, FileCloser>;

  void put(const File& file, const std::string& path, const std::string& text);

  std::string jsonl_path_;
  std::string csv_path_;
  File jsonl_;
  File csv_;
  std::vector<std::string> columns_;
  std::set<std::string> dropped_;
};

// The fields of one CSV line as MetricsWriter writes them (RFC 4180: fields may be double-quoted,
// with "" for a quote); a carriage return outside quotes is dropped.
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace momenta::io
