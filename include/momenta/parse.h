// Parsing of the small textual values users type on the command line and in configs.
#pragma once

#include <string>
#include <vector>

namespace momenta {

// "0.9,0.999" -> {0.9, 0.999}. Every item must be a whole number literal (strtod, no trailing
// characters); otherwise ValueError: "<what>='<text>' is not a comma-separated list of numbers".
std::vector<double> parse_number_list(const std::string& text, const std::string& what);

}  // namespace momenta
