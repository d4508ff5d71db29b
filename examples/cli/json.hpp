// SPDX-License-Identifier: MIT
// mqttwire CLI: lines of JSON read strictly with nlohmann/json, and written in the contract's form.
#ifndef MQTTWIRE_CLI_JSON_HPP
#define MQTTWIRE_CLI_JSON_HPP

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqttwire_cli::json {

// ---------------------------------------------------------------- values

/// One parsed JSON value. ordered_json keeps object members in input order, so that the first
/// unknown field of a line is the one reported. Numbers keep nlohmann's three kinds: a
/// non-negative integer that fits 64 bits is number_unsigned, "-0" and other negative integers
/// are number_integer, anything with a fraction or an exponent (or too long for 64 bits) is
/// number_float; the caller decides which it accepts.
using value = nlohmann::ordered_json;

constexpr std::string_view kind_name(const value& v) noexcept {
  switch (v.type()) {
    case value::value_t::null: return "null";
    case value::value_t::boolean: return "a boolean";
    case value::value_t::number_integer:
    case value::value_t::number_unsigned:
    case value::value_t::number_float: return "a number";
    case value::value_t::string: return "a string";
    case value::value_t::array: return "an array";
    case value::value_t::object: return "an object";
    case value::value_t::binary:
    case value::value_t::discarded: break;  // never produced from JSON text
  }
  return "?";
}

// ---------------------------------------------------------------- reader

/// Where and why a line is not JSON. `column` counts bytes from 1; line length + 1 means the
/// line ended too early.
struct parse_error {
  std::size_t column = 0;
  std::string message;
};

namespace detail {

// An iterator over the line that counts the bytes nlohmann has taken, so that an error found in
// a SAX callback (which is told no position) can still name its column.
class counted_input {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  counted_input(const char* at, std::size_t* taken) noexcept : at_(at), taken_(taken) {}
  reference operator*() const noexcept { return *at_; }
  counted_input& operator++() noexcept {
    ++at_;
    ++*taken_;
    return *this;
  }
  counted_input operator++(int) noexcept {
    counted_input before = *this;
    ++*this;
    return before;
  }
  friend bool operator==(const counted_input& a, const counted_input& b) noexcept {
    return a.at_ == b.at_;
  }

 private:
  const char* at_;
  std::size_t* taken_;
};

// What nlohmann stopped on: a token it read whole but did not expect there, or a token it
// could not read (the lexer's message says which kind).
enum class token_kind : std::uint8_t { whole, bad_string_or_number, bad_literal };

// Column of the first byte of the token nlohmann stopped on. nlohmann gives `pos`, the column
// of the last byte it read (line length + 1 when it read to the end), and `token`, the bytes
// read since the last string or number began: for strings and numbers, the token itself (with
// a control character that stopped it spelt "<U+001F>"); for other tokens, text before them too.
inline std::size_t token_start(std::string_view text, std::size_t pos, const std::string& token,
                               token_kind kind) {
  const std::size_t bad = pos - 1;  // index of that byte; text.size() when nlohmann read to the end
  const std::size_t end_extra = pos > text.size() ? 1 : 0;
  const auto back = [&](std::size_t length) { return length <= pos ? pos - length + 1 : pos; };
  switch (kind) {
    case token_kind::bad_string_or_number: {
      const bool control = end_extra == 0 && static_cast<unsigned char>(text[bad]) < 0x20u;
      return back(token.size() + end_extra - (control ? 7 : 0));  // "<U+001F>" was one byte
    }
    case token_kind::whole:
      if (end_extra == 1) return pos;  // the end of the line
      if (text[bad] == '"' || (text[bad] >= '0' && text[bad] <= '9')) return back(token.size());
      for (const std::string_view word : {"true", "false", "null"}) {
        if (pos >= word.size() && text.substr(pos - word.size(), word.size()) == word) {
          return back(word.size());
        }
      }
      return pos;  // one byte: a bracket, ':' or ','
    case token_kind::bad_literal:
      // The beginning of true, false or null before the byte that broke it; none when the byte
      // starts no token at all.
      for (std::size_t k = 1; k <= 4 && k <= bad; ++k) {
        const std::string_view seen = text.substr(bad - k, k);
        const std::string_view word = seen[0] == 't'   ? "true"
                                      : seen[0] == 'f' ? "false"
                                      : seen[0] == 'n' ? "null"
                                                       : "";
        if (k < word.size() && word.starts_with(seen)) return pos - k;
      }
      return pos;
  }
  return pos;
}

// Column of the \u escape that starts an unpaired surrogate, from the byte where nlohmann
// noticed it: the last digit of a lone low surrogate, or what follows a high surrogate (a byte
// that is not a backslash; a backslash and a byte that is not 'u'; or the last digit of a
// \uXXXX that is not a low surrogate).
inline std::size_t surrogate_start(std::string_view text, std::size_t pos, bool lone_low) {
  const std::size_t o = pos - 1;  // index of that byte (text.size() at the end of the line)
  std::size_t back = 6;           // \uD800?
  if (lone_low) {
    back = 5;  // \uDC00
  } else if (o >= 5 && text[o - 5] == '\\' && text[o - 4] == 'u') {
    back = 11;  // \uD800\uXXXX
  } else if (o >= 1 && text[o - 1] == '\\') {
    back = 7;  // \uD800\?
  }
  return pos > back ? pos - back : 1;
}

// Column of the first byte of an ill-formed UTF-8 sequence, from the byte where nlohmann
// found it ill-formed: that byte, or a continuation the lead byte before it was waiting for.
inline std::size_t utf8_start(std::string_view text, std::size_t pos) {
  const std::size_t o = pos - 1;
  std::size_t lead = o;
  const auto continuation = [&](std::size_t i) {
    return (static_cast<unsigned char>(text[i]) & 0xC0u) == 0x80u;
  };
  while (lead > 0 && o - lead < 3 && continuation(lead - 1)) --lead;
  if (lead == 0) return pos;
  const auto b = static_cast<unsigned char>(text[--lead]);
  const std::size_t length = b >= 0xF0u ? 4 : b >= 0xE0u ? 3 : b >= 0xC0u ? 2 : 1;
  return o - lead < length ? lead + 1 : pos;
}

inline std::string unexpected_character(char c) {
  return std::string("unexpected character '") + c + "' (expected a JSON value)";
}

// The error in the contract's words, from nlohmann's report. Its message reads "... syntax
// error while parsing <context> - <what was found>[; expected <token>]", where <what was found>
// is "unexpected <token>" for a token read whole, or else the lexer's message followed by
// "; last read: '<token>'". `value_done`: the whole JSON value was read before the error.
inline parse_error describe(std::string_view text, std::size_t pos, const std::string& token,
                            const value::exception& ex, bool value_done) {
  const std::string_view what = ex.what();
  const std::size_t context_at = what.find("while parsing ");
  const std::size_t found_at = what.find(" - ", context_at);
  const std::string_view found =
      found_at == std::string_view::npos ? std::string_view{} : what.substr(found_at + 3);
  // 406: a number too large for a double; it is a whole token.
  const bool whole = ex.id == 406 || found.starts_with("unexpected ");
  token_kind kind = token_kind::whole;
  if (!whole) {
    kind = found.starts_with("invalid string") || found.starts_with("invalid number")
               ? token_kind::bad_string_or_number
               : token_kind::bad_literal;
  }
  const std::size_t start = token_start(text, pos, token, kind);
  // nlohmann ends a number at a leading 0 and reads the digits after it as the next token.
  if ((whole || found.starts_with("invalid number")) && start >= 2 && start <= text.size() &&
      text[start - 2] == '0' && text[start - 1] >= '0' && text[start - 1] <= '9') {
    return {start, "leading zeros are not allowed in numbers"};
  }
  if (value_done) return {start, "unexpected text after the JSON value"};
  if (ex.id == 406) return {start, "number out of range"};
  if (found_at == std::string_view::npos) return {pos, std::string(what)};  // not 3.11's form
  const std::string_view context = what.substr(context_at + 14, found_at - context_at - 14);
  const bool bad_string = found.starts_with("invalid string");
  // Where a value is due, and for a key that is a string, a token nlohmann could not read is
  // the problem; elsewhere any token but the one due is, however it is spelt.
  if (!whole && (context == "value" || (context == "object key" && bad_string))) {
    enum class column : std::uint8_t { here, utf8_start, high, low };  // high/low: surrogates
    struct rule {
      std::string_view nlohmann;  // how its message starts
      std::string_view ours;
      column at = column::here;
    };
    static constexpr rule rules[] = {
        {"invalid string: control character", "control characters must be escaped inside strings"},
        {"invalid string: ill-formed UTF-8", "the line is not valid UTF-8", column::utf8_start},
        {"invalid string: missing closing quote", "unterminated string"},
        {"invalid string: '\\u' must be followed", "expected four hex digits after \\u"},
        {"invalid string: surrogate U+D8", "unpaired surrogate in \\u escape", column::high},
        {"invalid string: surrogate U+DC", "unpaired surrogate in \\u escape", column::low},
        {"invalid string: forbidden character after", "invalid escape sequence in string"},
        {"invalid number; expected digit after '-'", "expected a digit"},
        {"invalid number; expected digit after '.'", "expected a digit after the decimal point"},
        {"invalid number; expected '+', '-', or digit", "expected a digit in the exponent"},
        {"invalid number; expected digit after exponent", "expected a digit in the exponent"},
    };
    for (const rule& r : rules) {
      if (!found.starts_with(r.nlohmann)) continue;
      std::size_t at = pos;
      if (r.at == column::utf8_start) at = utf8_start(text, pos);
      if (r.at == column::high) at = surrogate_start(text, pos, false);
      if (r.at == column::low) at = surrogate_start(text, pos, true);
      return {at, std::string(r.ours)};
    }
    if (start < pos || pos > text.size()) return {start, "invalid literal (expected a JSON value)"};
    return {pos, unexpected_character(text[pos - 1])};
  }
  if (context == "object key") return {start, "expected a string as object key"};
  if (context == "object separator") return {start, "expected ':' after the object key"};
  if (context == "object") return {start, "expected ',' or '}' in the object"};
  if (context == "array") return {start, "expected ',' or ']' in the array"};
  // A value was due. nlohmann takes a NUL byte for the end of the input.
  if (pos > text.size()) return {pos, "unexpected end of line (expected a JSON value)"};
  return {pos, unexpected_character(text[pos - 1])};
}

// Builds the value from nlohmann's SAX events and adds the two checks nlohmann leaves out:
// a key used twice in one object, and nesting too deep.
class reader final : public nlohmann::json_sax<value> {
 public:
  reader(std::string_view text, const std::size_t& taken, value& root) noexcept
      : text_(text), taken_(taken), root_(root) {}

  bool null() override { return put(nullptr); }
  bool boolean(bool b) override { return put(b); }
  bool number_integer(number_integer_t n) override { return put(n); }
  bool number_unsigned(number_unsigned_t n) override { return put(n); }
  bool number_float(number_float_t n, const string_t&) override { return put(n); }
  bool string(string_t& s) override { return put(std::move(s)); }
  bool binary(binary_t&) override { return false; }  // not produced by JSON text
  bool start_object(std::size_t) override { return open(value::object()); }
  bool start_array(std::size_t) override { return open(value::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& k) override {
    auto [member, added] = open_.back()->emplace(std::move(k), nullptr);
    if (!added) {
      // RFC 8259 §4 leaves duplicate names to the reader; a packet field given twice is a
      // mistake in the input, so it is refused. The key just read ends at taken_: walk back to
      // its opening quote (a quote inside the key has an odd number of backslashes before it).
      std::size_t at = taken_ - 1;
      for (;;) {
        --at;
        std::size_t slashes = 0;
        while (slashes < at && text_[at - 1 - slashes] == '\\') ++slashes;
        if (text_[at] == '"' && slashes % 2 == 0) break;
      }
      error_ = json::parse_error{at + 1, "duplicate key \"" + member.key() + "\""};
      return false;
    }
    slot_ = &member.value();
    return true;
  }

  bool parse_error(std::size_t pos, const std::string& token, const value::exception& ex) override {
    error_ = describe(text_, pos, token, ex, done_);
    return false;
  }

  bool done() const noexcept { return done_; }
  std::optional<json::parse_error>& error() noexcept { return error_; }

 private:
  // Deep enough for any packet, shallow enough that hostile input cannot make the tree huge.
  static constexpr std::size_t max_depth = 32;

  // Where the value now being read goes: the root, the next array element or the member slot.
  value* target() {
    if (open_.empty()) return &root_;
    value& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(nullptr);
      return &parent.back();
    }
    return slot_;
  }
  bool put(value v) {
    *target() = std::move(v);
    done_ = open_.empty();
    return true;
  }
  bool open(value empty) {
    if (open_.size() == max_depth) {
      error_ = json::parse_error{taken_, "nesting is too deep"};
      return false;
    }
    value* at = target();
    *at = std::move(empty);
    open_.push_back(at);
    return true;
  }
  bool close() {
    open_.pop_back();
    done_ = open_.empty();
    return true;
  }

  std::string_view text_;
  const std::size_t& taken_;
  value& root_;
  // The containers being filled, outermost first. Each points into its parent, which gets no
  // new member while it is open, so the pointers stay valid.
  std::vector<value*> open_;
  value* slot_ = nullptr;
  bool done_ = false;
  std::optional<json::parse_error> error_;
};

}  // namespace detail

/// Parses one complete JSON text (one line of JSON Lines) into `out`: RFC 8259 with no
/// duplicate keys, at most 32 levels of nesting, no byte order mark, paired surrogates only.
inline std::optional<parse_error> parse(std::string_view text, value& out) {
  out = value{};
  // nlohmann skips a UTF-8 byte order mark; RFC 8259 §8.1 lets a reader refuse it, and a
  // BOM inside a line of JSON Lines is a mistake.
  if (text.starts_with('\xEF')) return parse_error{1, detail::unexpected_character('\xEF')};
  std::size_t taken = 0;
  detail::reader sax(text, taken, out);
  const bool ok = value::sax_parse(detail::counted_input(text.data(), &taken),
                                   detail::counted_input(text.data() + text.size(), &taken), &sax);
  if (!ok) {
    if (!sax.error()) sax.error() = parse_error{taken + 1, "invalid JSON"};
    return sax.error();
  }
  // nlohmann ends the input at a NUL byte (inside a string it is an error), so one here
  // follows the value.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return parse_error{nul + 1, "unexpected text after the JSON value"};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- writer

namespace detail {

// RFC 8259 §7 requires escaping '"', '\' and U+0000..U+001F. DEL and the C1 controls
// U+0080..U+009F are escaped too, so no control character reaches a terminal raw; nlohmann's
// dump leaves those raw, or escapes every non-ASCII character with ensure_ascii.
inline void write_string(std::string& out, std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t plain = 0;  // start of the bytes not yet written, which need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20u && b != '"' && b != '\\' && b != 0x7Fu && b != 0xC2u) continue;
    std::string_view escape;
    unsigned control = b;
    switch (b) {
      case '"': escape = "\\\""; break;
      case '\\': escape = "\\\\"; break;
      case '\b': escape = "\\b"; break;
      case '\f': escape = "\\f"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      case '\t': escape = "\\t"; break;
      case 0xC2u:  // U+0080..U+009F is C2 80..C2 9F; C2 A0 and above are printable
        if (i + 1 == s.size() || static_cast<unsigned char>(s[i + 1]) > 0x9Fu) continue;
        control = static_cast<unsigned char>(s[i + 1]);
        break;
      default: break;
    }
    out.append(s.data() + plain, i - plain);
    if (!escape.empty()) {
      out += escape;
    } else {
      out += "\\u00";
      out.push_back(digits[control >> 4]);
      out.push_back(digits[control & 0x0Fu]);
      if (b == 0xC2u) ++i;
    }
    plain = i + 1;
  }
  out.append(s.data() + plain, s.size() - plain);
  out.push_back('"');
}

}  // namespace detail

/// Appends `v` as JSON with `", "` between members and `": "` after keys (the form of the CLI
/// contract; nlohmann's dump has no such spacing). Strings must be valid UTF-8, which MQTT
/// strings are once decoded.
inline void write(std::string& out, const value& v) {
  if (v.is_object()) {
    out.push_back('{');
    const char* separator = "";
    for (const auto& [k, member] : v.items()) {
      out += separator;
      detail::write_string(out, k);
      out += ": ";
      write(out, member);
      separator = ", ";
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    const char* separator = "";
    for (const value& element : v) {
      out += separator;
      write(out, element);
      separator = ", ";
    }
    out.push_back(']');
  } else if (v.is_string()) {
    detail::write_string(out, v.get_ref<const std::string&>());
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? "true" : "false";
  } else if (v.is_number_unsigned()) {
    out += std::to_string(v.get<std::uint64_t>());
  } else if (v.is_number_integer()) {
    out += std::to_string(v.get<std::int64_t>());
  } else if (v.is_null()) {
    out += "null";
  } else {
    out += v.dump();  // a floating-point number, which no packet has
  }
}

}  // namespace mqttwire_cli::json

#endif  // MQTTWIRE_CLI_JSON_HPP
