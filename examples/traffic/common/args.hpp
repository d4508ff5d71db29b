// SPDX-License-Identifier: MIT
// traffic: a small command-line parser for `--name value` and `--flag` options.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_ARGS_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_ARGS_HPP

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace traffic {

/// Options as given: every `--name value` and every `--flag` among `flags`. Unknown names
/// (not in `valued` or `flags`) and missing values are errors (std::invalid_argument).
class args {
 public:
  args(int argc, char** argv, const std::set<std::string>& valued,
       const std::set<std::string>& flags) {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument: " + a);
      std::string name = a.substr(2);
      std::string value;
      bool has_value = false;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      if (flags.count(name) != 0 && !has_value) {
        flags_.insert(name);
      } else if (valued.count(name) != 0) {
        if (!has_value) {
          if (i + 1 >= argc) throw std::invalid_argument("--" + name + " needs a value");
          value = argv[++i];
        }
        values_[name] = value;
      } else {
        throw std::invalid_argument("unknown option: --" + name);
      }
    }
  }
  bool flag(const std::string& name) const { return flags_.count(name) != 0; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::string str(const std::string& name, std::string fallback) const {
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  double num(const std::string& name, double fallback) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') {
      throw std::invalid_argument("--" + name + ": not a number: " + it->second);
    }
    return v;
  }
  std::uint64_t count(const std::string& name, std::uint64_t fallback) const {
    const double v = num(name, static_cast<double>(fallback));
    if (v < 0 || v != static_cast<double>(static_cast<std::uint64_t>(v))) {
      throw std::invalid_argument("--" + name + ": not a whole number");
    }
    return static_cast<std::uint64_t>(v);
  }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_ARGS_HPP
