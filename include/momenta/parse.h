// Parsing of the small textual values users type on the command line and in configs.
#pragma once

#include <string>
#include <vector>

namespace momenta {

// "0.9,0.999" -> {0.9, 0.999}. Every item must be a whole number literal (strtod, no trailing
// characters); otherwise ValueError: "<what>='<text>' is not a comma-separated list of numbers".
std::vector<double> parse_number_list(const std::string& text, const std::string& what);

// The shortest text that reads back (strtod, parse_number_list) to exactly `v`, e.g. 1e-07,
// 1.5e-06, 0.1; "nan", "inf", "-inf" for non-finite values. Every double that travels as text
// (flags built by a command, configs, metadata, printed values meant to be reused) goes
// through this, never through std::to_string (six decimals: 1e-7 becomes "0.000000").
std::string format_number(double v);

}  // namespace momenta
