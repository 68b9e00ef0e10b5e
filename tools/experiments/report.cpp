#include "tools/experiments/report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "momenta/error.h"

namespace momenta::cli::experiments {
namespace {

std::string csv_num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string fmt_num(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

Report::Report(const Experiment& e, const Options& o) : exp_(e), opts_(o), dir_(o.out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  check<IOError>(!ec && std::filesystem::is_directory(dir_), "cannot create the output directory '", dir_, "'",
                 ec ? ": " + ec.message() : std::string());
}

void Report::protocol(const std::string& line) { protocol_.push_back(line); }
void Report::choice(const std::string& line) { choices_.push_back(line); }
void Report::text(const std::string& markdown) { body_.push_back(markdown); }

void Report::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string t = "|";
  for (const auto& h : header) t += " " + h + " |";
  t += "\n|";
  for (size_t i = 0; i < header.size(); ++i) t += "---|";
  for (const auto& r : rows) {
    t += "\n|";
    for (const auto& c : r) t += " " + c + " |";
  }
  body_.push_back(t);
}

void Report::csv(const std::string& file, const std::vector<std::string>& header,
                 const std::vector<std::vector<double>>& rows) {
  std::vector<std::vector<std::string>> text_rows;
  for (const auto& r : rows) {
    std::vector<std::string> tr;
    for (double v : r) tr.push_back(csv_num(v));
    text_rows.push_back(std::move(tr));
  }
  csv_text(file, header, text_rows);
}

void Report::csv_text(const std::string& file, const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
  std::string s;
  for (size_t i = 0; i < header.size(); ++i) s += (i ? "," : "") + csv_field(header[i]);
  s += "\n";
  for (const auto& r : rows) {
    check<ValueError>(r.size() == header.size(), "report csv '", file, "': a row has ", r.size(), " fields for ",
                      header.size(), " columns");
    for (size_t i = 0; i < r.size(); ++i) s += (i ? "," : "") + csv_field(r[i]);
    s += "\n";
  }
  io::write_text_file(dir_ + "/" + file, s);
  files_.push_back(file);
}

void Report::figure(const std::string& file, const std::string& caption, const std::string& svg) {
  io::write_text_file(dir_ + "/" + file, svg);
  body_.push_back("![" + caption + "](" + file + ")\n\n*" + caption + "*");
}

Outcome Report::finish(Verdict verdict, const std::string& headline, const std::string& reason) {
  std::string s = "# " + exp_.name + "\n\n";
  s += "**Paper:** " + exp_.paper + ", " + exp_.section + "  \n";
  s += std::string("**Run size:** ") + opts_.size_name() + "  \n";
  s += std::string("**Verdict:** the claim ") + verdict_text(verdict) + ". " + reason + "  \n";
  s += "**Headline:** " + headline + "\n\n";
  s += "## The paper's claim\n\n" + exp_.claim + "\n\n";
  s += "## Protocol as run\n\n";
  for (const auto& p : protocol_) s += "- " + p + "\n";
  if (!choices_.empty()) {
    s += "\n## Choices (where the paper is silent or could not be retrieved)\n\n";
    for (const auto& c : choices_) s += "- " + c + "\n";
  }
  s += "\n## Results\n\n";
  for (const auto& b : body_) s += b + "\n\n";
  if (!files_.empty()) {
    s += "## Data files\n\n";
    for (const auto& f : files_) s += "- [" + f + "](" + f + ")\n";
  }
  io::write_text_file(dir_ + "/report.md", s);
  return Outcome{verdict, headline};
}

}  // namespace momenta::cli::experiments
