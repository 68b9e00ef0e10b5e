// The report of one experiment: DIR/report.md in a fixed shape (claim, protocol as run, choices
// where the paper is silent, results with tables and figures, verdict), plus the CSV and SVG
// files it links. Files are written as they are added; report.md when finish() is called.
#pragma once

#include <string>
#include <vector>

#include "momenta/io/svg.h"
#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

// "%.6g" for tables; "%.10g" with nan/inf spelled out for CSV.
std::string fmt_num(double v, int digits = 4);

class Report {
 public:
  Report(const Experiment& e, const Options& o);  // creates the output directory

  const std::string& dir() const { return dir_; }
  const Options& options() const { return opts_; }

  void protocol(const std::string& line);  // a bullet of "Protocol as run"
  void choice(const std::string& line);    // a bullet of "Choices (where the paper is silent or not retrieved)"
  void text(const std::string& markdown);  // a paragraph of the results section
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  // Writes DIR/file and links it in the results.
  void csv(const std::string& file, const std::vector<std::string>& header,
           const std::vector<std::vector<double>>& rows);
  void csv_text(const std::string& file, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
  void figure(const std::string& file, const std::string& caption, const std::string& svg);

  // Writes report.md and returns the outcome.
  Outcome finish(Verdict verdict, const std::string& headline, const std::string& verdict_reason);

 private:
  const Experiment& exp_;
  Options opts_;
  std::string dir_;
  std::vector<std::string> protocol_, choices_, body_, files_;
};

}  // namespace momenta::cli::experiments
