#include "momenta/io/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "momenta/error.h"
#include "momenta/parse.h"

namespace momenta::io {
namespace {

std::string errno_message(int err) { return std::error_code(err, std::generic_category()).message(); }

// RFC 4180 quoting, only where needed.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string join_csv(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
  return out;
}

// Size of an existing file (0 when absent), and whether its last byte is not a newline: a line
// torn by a crash, which must be ended before new records are appended.
std::pair<std::streamoff, bool> inspect_tail(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {0, false};
  std::streamoff size = in.tellg();
  if (size <= 0) return {0, false};
  in.seekg(-1, std::ios::end);
  return {size, in.get() != '\n'};
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') fields.back() += c;
      else if (i + 1 < line.size() && line[i + 1] == '"') fields.back() += line[++i];
      else quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

void MetricsWriter::FileCloser::operator()(std::FILE* f) const { std::fclose(f); }

MetricsWriter::MetricsWriter(const std::string& jsonl_path, const std::string& csv_path, MetricsOptions options)
    : jsonl_path_(jsonl_path), csv_path_(csv_path), columns_(std::move(options.columns)) {
  // Opens one file; returns whether it already held data (appending only).
  auto open_file = [&](const std::string& path, File* file) {
    auto [size, torn] = options.append ? inspect_tail(path) : std::pair<std::streamoff, bool>{0, false};
    file->reset(std::fopen(path.c_str(), options.append ? "ab" : "wb"));
    if (!*file) throw IOError(str_cat("cannot open '", path, "' for writing: ", errno_message(errno)));
    if (torn) put(*file, path, "\n");
    return size > 0;
  };
  if (!jsonl_path_.empty()) open_file(jsonl_path_, &jsonl_);
  if (csv_path_.empty()) return;
  bool has_data = open_file(csv_path_, &csv_);
  if (has_data) {
    std::ifstream in(csv_path_, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) throw IOError(str_cat("cannot read the header of '", csv_path_, "'"));
    std::vector<std::string> existing = split_csv_line(line);
    check<ValueError>(columns_.empty() || columns_ == existing, "metrics: '", csv_path_, "' has columns ",
                      join_csv(existing), " but ", join_csv(columns_), " were declared");
    columns_ = std::move(existing);
  } else if (!columns_.empty()) {
    put(csv_, csv_path_, join_csv(columns_) + "\n");
  }
}

MetricsWriter::~MetricsWriter() = default;

void MetricsWriter::put(const File& file, const std::string& path, const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() || std::fflush(file.get()) != 0)
    throw IOError(str_cat("cannot write '", path, "': ", errno_message(errno)));
}

void MetricsWriter::write(const MetricsRecord& record) {
  check<ValueError>(!record.empty(), "metrics: empty record");
  for (size_t i = 0; i < record.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      check<ValueError>(record[i].first != record[j].first, "metrics: key '", record[i].first,
                        "' repeated in a record");

  if (jsonl_) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (const auto& entry : record) {
      const std::string& key = entry.first;  // a named variable: clang < 16 cannot capture a binding
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, double>) {
              obj[key] = std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
            } else {
              obj[key] = x;
            }
          },
          entry.second.value());
    }
    // Invalid UTF-8 in a string is replaced rather than thrown: a log line is never worth a crash.
    put(jsonl_, jsonl_path_, obj.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
  }

  if (csv_) {
    if (columns_.empty()) {
      for (const auto& kv : record) columns_.push_back(kv.first);
      put(csv_, csv_path_, join_csv(columns_) + "\n");
    }
    std::vector<std::string> row(columns_.size());
    for (const auto& [key, v] : record) {
      auto it = std::find(columns_.begin(), columns_.end(), key);
      if (it == columns_.end()) {
        dropped_.insert(key);
        continue;
      }
      std::string& cell = row[static_cast<size_t>(it - columns_.begin())];
      if (const auto* i = std::get_if<int64_t>(&v.value())) cell = std::to_string(*i);
      else if (const auto* d = std::get_if<double>(&v.value())) cell = format_number(*d);
      else cell = std::get<std::string>(v.value());
    }
    put(csv_, csv_path_, join_csv(row) + "\n");
  }
}

}  // namespace momenta::io
