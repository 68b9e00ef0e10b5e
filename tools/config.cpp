#include "tools/config.h"

#include <filesystem>
#include <set>
#include <toml++/toml.h>

#include "momenta/error.h"
#include "momenta/parse.h"

namespace momenta::cli {
namespace {

// The value of one TOML node as a command-line token.
std::string token(const toml::node& v, const std::string& path, const std::string& key) {
  if (auto s = v.value<std::string>(); s && v.is_string()) return *s;
  if (v.is_integer()) return std::to_string(*v.value<int64_t>());
  if (v.is_floating_point()) return format_number(*v.value<double>());  // exactly the file's value
  throw FormatError(str_cat("config '", path, "': key '", key,
                            "' must be a string, a number, a boolean or an array of them"));
}

// Appends the options of `table` whose flags are not in `seen`, and adds them to it.
void append_table(const toml::table& table, const std::string& path, std::set<std::string>& seen,
                  std::vector<std::string>& out) {
  for (auto&& [k, v] : table) {
    const std::string key(k.str());
    if (v.is_table()) continue;  // a command's section: the caller takes the one it needs
    if (!seen.insert("--" + key).second) continue;  // given on the command line or more specifically
    if (v.is_boolean()) {
      if (*v.value<bool>()) out.push_back("--" + key);
      continue;
    }
    if (const toml::array* arr = v.as_array()) {
      for (const toml::node& item : *arr) {
        out.push_back("--" + key);
        out.push_back(token(item, path, key));
      }
      continue;
    }
    out.push_back("--" + key);
    out.push_back(token(v, path, key));
  }
}

}  // namespace

std::vector<std::string> expand_config(const std::vector<std::string>& args) {
  if (args.empty()) return args;
  std::vector<std::string> out, files;
  std::set<std::string> given;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config") {
      check<ValueError>(i + 1 < args.size(), "--config needs a file name");
      files.push_back(args[++i]);
      continue;
    }
    if (a.rfind("--config=", 0) == 0) {
      files.push_back(a.substr(9));
      continue;
    }
    if (a.rfind("--", 0) == 0) given.insert(a.substr(0, a.find('=')));
    out.push_back(a);
  }
  if (files.empty() || out.empty()) return out;
  const std::string command = out[0];  // the subcommand, wherever --config stood
  for (const auto& path : files) {
    std::error_code ec;
    check<IOError>(std::filesystem::is_regular_file(path, ec), "config file '", path, "' does not exist");
    toml::table table;
    try {
      table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      throw FormatError(str_cat("config '", path, "' line ", e.source().begin.line, ": ", e.description()));
    }
    std::vector<std::string> extra;
    if (const toml::table* section = table[command].as_table()) append_table(*section, path, given, extra);
    append_table(table, path, given, extra);
    out.insert(out.begin() + 1, extra.begin(), extra.end());  // after the subcommand name
  }
  return out;
}

}  // namespace momenta::cli
