// SPDX-License-Identifier: MIT
// mqttwire CLI: a strict reader for one line of JSON (RFC 8259) and a writer that escapes properly.
#ifndef MQTTWIRE_CLI_JSON_HPP
#define MQTTWIRE_CLI_JSON_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mqttwire_cli::json {

// ---------------------------------------------------------------- values

/// One parsed JSON value. Objects keep their keys in input order (`keys[i]` names `items[i]`);
/// numbers keep their text so that the caller decides what range and form it accepts.
struct value {
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };
  kind k = kind::null;
  bool boolean = false;
  std::string text;  ///< number text, or the unescaped string (UTF-8)
  std::vector<value> items;
  std::vector<std::string> keys;

  /// The member named `key` of an object, or nullptr.
  const value* find(std::string_view key) const noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

constexpr std::string_view kind_name(value::kind k) noexcept {
  switch (k) {
    case value::kind::null: return "null";
    case value::kind::boolean: return "a boolean";
    case value::kind::number: return "a number";
    case value::kind::string: return "a string";
    case value::kind::array: return "an array";
    case value::kind::object: return "an object";
  }
  return "?";
}

// ---------------------------------------------------------------- reader

/// Where and why a line is not JSON. `column` counts bytes from 1.
struct parse_error {
  std::size_t column = 0;
  std::string message;
};

namespace detail {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 table), or 0 if it is ill-formed.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;
  };
  const unsigned b0 = at(0);
  const auto cont = [&](std::size_t k, unsigned lo, unsigned hi) { return at(k) >= lo && at(k) <= hi; };
  if (b0 < 0x80u) return 1;
  if (b0 >= 0xC2u && b0 <= 0xDFu) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0u && b0 <= 0xEFu) {
    const unsigned lo = b0 == 0xE0u ? 0xA0u : 0x80u;  // no overlong forms
    const unsigned hi = b0 == 0xEDu ? 0x9Fu : 0xBFu;  // no surrogates
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0u && b0 <= 0xF4u) {
    const unsigned lo = b0 == 0xF0u ? 0x90u : 0x80u;
    const unsigned hi = b0 == 0xF4u ? 0x8Fu : 0xBFu;  // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  const auto put = [&](std::uint32_t b) { out.push_back(static_cast<char>(static_cast<unsigned char>(b))); };
  if (cp < 0x80u) {
    put(cp);
  } else if (cp < 0x800u) {
    put(0xC0u | (cp >> 6));
    put(0x80u | (cp & 0x3Fu));
  } else if (cp < 0x10000u) {
    put(0xE0u | (cp >> 12));
    put(0x80u | ((cp >> 6) & 0x3Fu));
    put(0x80u | (cp & 0x3Fu));
  } else {
    put(0xF0u | (cp >> 18));
    put(0x80u | ((cp >> 12) & 0x3Fu));
    put(0x80u | ((cp >> 6) & 0x3Fu));
    put(0x80u | (cp & 0x3Fu));
  }
}

class parser {
 public:
  explicit parser(std::string_view text) noexcept : s_(text) {}

  std::optional<parse_error> parse_document(value& out) {
    // RFC 8259 §8.1: JSON text is UTF-8. Checking the whole line first means every string we
    // hand on is valid UTF-8, whatever escapes it used.
    for (std::size_t i = 0; i < s_.size();) {
      const std::size_t n = utf8_sequence(s_, i);
      if (n == 0) return parse_error{i + 1, "the line is not valid UTF-8"};
      i += n;
    }
    skip_space();
    if (!parse_value(out, 0)) return error_;
    skip_space();
    if (pos_ != s_.size()) return fail("unexpected text after the JSON value"), error_;
    return std::nullopt;
  }

 private:
  // Deep enough for any packet, shallow enough that hostile input cannot exhaust the stack.
  static constexpr int max_depth = 32;

  bool fail(std::string message) {
    if (!error_) error_ = parse_error{pos_ + 1, std::move(message)};
    return false;
  }
  bool at_end() const noexcept { return pos_ >= s_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }
  void skip_space() noexcept {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("invalid literal (expected a JSON value)");
    pos_ += word.size();
    return true;
  }

  bool parse_value(value& out, int depth) {
    if (at_end()) return fail("unexpected end of line (expected a JSON value)");
    switch (peek()) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"': out.k = value::kind::string; return parse_string(out.text);
      case 't': out.k = value::kind::boolean; out.boolean = true; return literal("true");
      case 'f': out.k = value::kind::boolean; out.boolean = false; return literal("false");
      case 'n': out.k = value::kind::null; return literal("null");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number(out);
        return fail(std::string("unexpected character '") + peek() + "' (expected a JSON value)");
    }
  }

  bool parse_object(value& out, int depth) {
    if (depth > max_depth) return fail("nesting is too deep");
    out.k = value::kind::object;
    ++pos_;  // '{'
    skip_space();
    if (peek() == '}') return ++pos_, true;
    for (;;) {
      skip_space();
      if (peek() != '"') return fail("expected a string as object key");
      std::string key;
      const std::size_t key_at = pos_;
      if (!parse_string(key)) return false;
      if (out.find(key) != nullptr) {
        pos_ = key_at;
        return fail("duplicate key \"" + key + "\"");
      }
      skip_space();
      if (peek() != ':') return fail("expected ':' after the object key");
      ++pos_;
      skip_space();
      out.keys.push_back(std::move(key));
      out.items.emplace_back();
      if (!parse_value(out.items.back(), depth)) return false;
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') return ++pos_, true;
      return fail("expected ',' or '}' in the object");
    }
  }

  bool parse_array(value& out, int depth) {
    if (depth > max_depth) return fail("nesting is too deep");
    out.k = value::kind::array;
    ++pos_;  // '['
    skip_space();
    if (peek() == ']') return ++pos_, true;
    for (;;) {
      skip_space();
      out.items.emplace_back();
      if (!parse_value(out.items.back(), depth)) return false;
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') return ++pos_, true;
      return fail("expected ',' or ']' in the array");
    }
  }

  // RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool parse_number(value& out) {
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') return fail("leading zeros are not allowed in numbers");
    } else if (!digits()) {
      return fail("expected a digit");
    }
    if (peek() == '.') {
      ++pos_;
      if (!digits()) return fail("expected a digit after the decimal point");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) return fail("expected a digit in the exponent");
    }
    out.k = value::kind::number;
    out.text.assign(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(std::uint32_t& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      unsigned d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return fail("expected four hex digits after \\u");
      }
      cp = cp << 4 | d;
      ++pos_;
    }
    return true;
  }

  bool parse_string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') return ++pos_, true;
      if (static_cast<unsigned char>(c) < 0x20u) {
        return fail("control characters must be escaped inside strings");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          const std::size_t escape_at = pos_ - 2;
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          // A surrogate is only text as a high/low pair; alone it has no UTF-8 form.
          if (cp >= 0xD800u && cp <= 0xDBFFu) {
            std::uint32_t low = 0;
            if (s_.substr(pos_, 2) != "\\u") {
              pos_ = escape_at;
              return fail("unpaired surrogate in \\u escape");
            }
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xDC00u || low > 0xDFFFu) {
              pos_ = escape_at;
              return fail("unpaired surrogate in \\u escape");
            }
            cp = 0x10000u + ((cp - 0xD800u) << 10) + (low - 0xDC00u);
          } else if (cp >= 0xDC00u && cp <= 0xDFFFu) {
            pos_ = escape_at;
            return fail("unpaired surrogate in \\u escape");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          return fail("invalid escape sequence in string");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::optional<parse_error> error_;
};

}  // namespace detail

/// Parses one complete JSON text (one line of JSON Lines) into `out`.
inline std::optional<parse_error> parse(std::string_view text, value& out) {
  out = value{};
  return detail::parser(text).parse_document(out);
}

// ---------------------------------------------------------------- writer

/// Appends JSON to a string, one `", "` between members and `": "` after keys (the form of the
/// CLI contract). Strings must be valid UTF-8, which MQTT strings are once decoded.
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k) {
    separate();
    string_literal(k);
    out_ += ": ";
    after_key_ = true;
  }
  void string(std::string_view s) {
    separate();
    string_literal(s);
  }
  void boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
  }
  void null() {
    separate();
    out_ += "null";
  }
  void number(std::uint64_t n) {
    separate();
    out_ += std::to_string(n);
  }
  /// Bytes as a string of lowercase hex digits, two per byte.
  void hex(std::string_view bytes) {
    separate();
    out_.push_back('"');
    append_hex(out_, bytes);
    out_.push_back('"');
  }

  static void append_hex(std::string& out, std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    for (const char c : bytes) {
      const auto b = static_cast<unsigned char>(c);
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 0x0Fu]);
    }
  }

 private:
  void open(char bracket) {
    separate();
    out_.push_back(bracket);
    first_.push_back(true);
  }
  void close(char bracket) {
    out_.push_back(bracket);
    first_.pop_back();
  }
  // Writes the comma before every element but the first of its container.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ", ";
    first_.back() = false;
  }
  // RFC 8259 §7 requires escaping '"', '\' and U+0000..U+001F. DEL and the C1 controls
  // U+0080..U+009F are escaped too, so no control character reaches a terminal raw.
  void string_literal(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    out_.push_back('"');
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto b = static_cast<unsigned char>(s[i]);
      switch (b) {
        case '"': out_ += "\\\""; continue;
        case '\\': out_ += "\\\\"; continue;
        case '\b': out_ += "\\b"; continue;
        case '\f': out_ += "\\f"; continue;
        case '\n': out_ += "\\n"; continue;
        case '\r': out_ += "\\r"; continue;
        case '\t': out_ += "\\t"; continue;
        default: break;
      }
      unsigned control = 0x100;  // none
      if (b < 0x20u || b == 0x7Fu) {
        control = b;
      } else if (b == 0xC2u && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9Fu) {
        control = static_cast<unsigned char>(s[i + 1]);  // U+0080..U+009F is C2 80..C2 9F
        ++i;
      }
      if (control != 0x100) {
        out_ += "\\u00";
        out_.push_back(digits[control >> 4]);
        out_.push_back(digits[control & 0x0Fu]);
      } else {
        out_.push_back(static_cast<char>(b));
      }
    }
    out_.push_back('"');
  }

  std::string& out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace mqttwire_cli::json

#endif  // MQTTWIRE_CLI_JSON_HPP
