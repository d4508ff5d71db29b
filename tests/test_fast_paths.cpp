// SPDX-License-Identifier: MIT
// The run-time fast paths against independent references: the vector ASCII checks of strings,
// topic names and filters, for every length and every fault position.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mqttwire_test {
namespace {

using detail::ascii_rule;

// What the exact checks decide for an all-ASCII string, written out independently.
bool reference_accepts(ascii_rule rule, std::string_view s, bool controls) {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b == 0 || b >= 0x80) return false;
    if (controls && (b < 0x20 || b == 0x7F)) return false;
  }
  if (rule == ascii_rule::string) return true;
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '+' && s[i] != '#') continue;
    if (rule == ascii_rule::topic_name) return false;
    const bool starts = i == 0 || s[i - 1] == '/';
    const bool last = i + 1 == s.size();
    const bool ends = last || s[i + 1] == '/';
    if (!starts || (s[i] == '+' ? !ends : !last)) return false;
  }
  return true;
}

bool fast_accepts(ascii_rule rule, std::string_view s, bool controls) {
  // An exact-size heap copy, so ASan sees a load outside the string.
  const exact_buffer copy(s);
  const char* p = copy.view().data();
  switch (rule) {
    case ascii_rule::string: return detail::ascii_fast_accept<ascii_rule::string>(p, s.size(), controls);
    case ascii_rule::topic_name:
      return detail::ascii_fast_accept<ascii_rule::topic_name>(p, s.size(), controls);
    case ascii_rule::topic_filter:
      return detail::ascii_fast_accept<ascii_rule::topic_filter>(p, s.size(), controls);
  }
  return false;
}

bool has_sse2() {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  return true;
#else
  return false;
#endif
}

constexpr ascii_rule rules[] = {ascii_rule::string, ascii_rule::topic_name, ascii_rule::topic_filter};

// The fast check may only say "not sure" where the reference refuses or the text is not ASCII;
// with SSE2 it must accept everything valid (otherwise the fast path would never be taken).
void check_one(std::string_view s, std::size_t& checked) {
  bool ascii = true;
  for (const char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  for (const ascii_rule rule : rules) {
    for (const bool controls : {false, true}) {
      const bool fast = fast_accepts(rule, s, controls);
      const bool want = ascii && reference_accepts(rule, s, controls);
      if (fast != (want && has_sse2())) {
        FAIL_CHECK("fast check " << (fast ? "accepts" : "refuses") << " \"" << std::string(s)
                                 << "\" (" << s.size() << " bytes), rule "
                                 << static_cast<int>(rule) << ", controls " << controls);
      }
      ++checked;
    }
  }
}

// The usual fixed headers, written out independently of decode.hpp's tables: the first byte
// of each type that every rule set accepts, and the body sizes that every rule set accepts for
// it.
bool reference_usual(unsigned first, std::uint32_t length) {
  const unsigned flags = first & 0x0Fu;
  switch (first >> 4) {
    case 1: return flags == 0 && length >= 12;               // CONNECT
    case 2: case 4: case 5: case 7: case 11: return flags == 0 && length == 2;
    case 6: return flags == 2 && length == 2;                // PUBREL
    case 3: {                                                // PUBLISH
      const unsigned qos = (flags >> 1) & 3u;
      if (qos == 3 || (qos == 0 && (flags & 8u) != 0)) return false;
      return length >= (qos == 0 ? 3u : 5u);
    }
    case 8: return flags == 2 && length >= 6;                // SUBSCRIBE
    case 9: return flags == 0 && length >= 3;                // SUBACK
    case 10: return flags == 2 && length >= 5;               // UNSUBSCRIBE
    case 12: case 13: case 14: return flags == 0 && length == 0;
    default: return false;                                   // the reserved types
  }
}

// A Remaining Length field: `value` in `groups` 7-bit groups (more than it needs is the
// non-minimal form).
std::string length_field(std::uint32_t value, std::size_t groups) {
  std::string out;
  for (std::size_t i = 0; i < groups; ++i) {
    const auto group = static_cast<unsigned char>(value & 0x7Fu);
    value >>= 7;
    out += static_cast<char>(i + 1 < groups ? group | 0x80u : group);
  }
  return out;
}

}  // namespace

TEST_CASE("fast paths: every length 0..100 with every byte class at every position") {
  // Bytes that each matter to some rule: NUL, a control, space, DEL, the wildcards, the level
  // separator, plain letters, and non-ASCII lead, continuation and invalid bytes.
  constexpr std::string_view specials = "\x00\x01\x1f \x7f+#/a\x80\xbf\xc3\xff"sv;
  std::size_t checked = 0;
  for (std::size_t n = 0; n <= 100; ++n) {
    std::string base(n, 'x');
    for (std::size_t i = 4; i < n; i += 5) base[i] = '/';  // levels, so wildcards can fit
    check_one(base, checked);
    for (std::size_t at = 0; at < n; ++at) {
      for (const char c : specials) {
        std::string s = base;
        s[at] = c;
        check_one(s, checked);
      }
    }
  }
  CHECK(checked == 6 * (101 + 13 * (100 * 101 / 2)));
}

TEST_CASE("fast paths: every filter of up to 6 bytes over {a, /, +, #}, and long random ones") {
  constexpr char alphabet[] = {'a', '/', '+', '#'};
  std::size_t checked = 0;
  for (std::size_t n = 1; n <= 6; ++n) {
    std::size_t count = 1;
    for (std::size_t k = 0; k < n; ++k) count *= 4;
    for (std::size_t code = 0; code < count; ++code) {
      std::string s(n, 'a');
      for (std::size_t k = 0, c = code; k < n; ++k, c /= 4) s[k] = alphabet[c % 4];
      check_one(s, checked);
    }
  }
  // Longer filters: mostly letters and separators, a few wildcards, whole-level ones as often
  // as misplaced ones (a fixed LCG: the same strings on every run).
  std::uint32_t x = 12345;
  const auto next = [&x] { return x = x * 1'664'525u + 1'013'904'223u, x >> 16; };
  for (int round = 0; round < 20'000; ++round) {
    const std::size_t n = 1 + next() % 80;
    std::string s;
    while (s.size() < n) {
      const unsigned r = next() % 16;
      if (r < 2) {
        s += '+';
      } else if (r == 2) {
        s += '#';
      } else if (r < 6) {
        s += '/';
      } else if (r < 8) {
        s += "/+/";
      } else {
        s += static_cast<char>('a' + next() % 26);
      }
    }
    s.resize(n);
    check_one(s, checked);
  }
  CHECK(checked == 6 * (4 + 16 + 64 + 256 + 1024 + 4096 + 20'000));
}

// detail::usual_packet_size, which a framer uses for each packet left incomplete at the end of
// a read, must give the size read_header() would (for every version and rule set) or 0 to let
// read_header() decide, and must give the size for every usual header it could.
TEST_CASE("fast paths: the usual fixed header agrees with read_header for every first byte") {
  const std::uint32_t lengths[] = {0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 127, 128, 16'383, 16'384,
                                   2'097'151, 2'097'152, 268'435'455};
  std::vector<options> rule_sets(4);
  rule_sets[1].reject_non_minimal_length = true;
  rule_sets[2].strict_3_1 = true;
  rule_sets[3].tolerate_dup_with_qos0 = true;
  std::size_t usual = 0;
  std::size_t checked = 0;
  for (unsigned first = 0; first < 256; ++first) {
    for (const std::uint32_t length : lengths) {
      std::size_t groups_needed = 1;
      while (groups_needed < 4 && (length >> (7 * groups_needed)) != 0) ++groups_needed;
      for (std::size_t groups = groups_needed; groups <= 4; ++groups) {
        const std::string header = static_cast<char>(first) + length_field(length, groups);
        // Every prefix of the header, and the whole header followed by one more byte.
        for (std::size_t n = 0; n <= header.size() + 1; ++n) {
          std::string bytes = header.substr(0, n);
          if (n > header.size()) bytes += '\0';
          const exact_buffer copy(bytes);
          for (const options& rule_set : rule_sets) {
            const bool whole = n >= header.size();
            const bool minimal = groups == groups_needed;
            const std::size_t want =
                whole && reference_usual(first, length) && (minimal || !rule_set.reject_non_minimal_length)
                    ? header.size() + length
                    : 0;
            const std::size_t got = detail::usual_packet_size(copy.view().data(), bytes.size(), rule_set);
            if (got != want) {
              FAIL_CHECK("first byte " << first << ", length " << length << " in " << groups
                                       << " groups, " << n << " bytes: " << got << ", want " << want);
            }
            if (got == 0) continue;
            ++usual;
            for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1}) {
              const auto h = peek_header(copy.view(), v, rule_set);
              if (!h || h->size() != got) {
                FAIL_CHECK("first byte " << first << ", length " << length << " in " << groups
                                         << " groups: read_header disagrees");
              }
              ++checked;
            }
          }
        }
      }
    }
  }
  // Each usual (first byte, length) pair in each of its encodings, seen whole and with one byte
  // more, under the three rule sets that take non-minimal forms and, minimal only, the fourth.
  std::size_t expected = 0;
  for (unsigned first = 0; first < 256; ++first) {
    for (const std::uint32_t length : lengths) {
      if (!reference_usual(first, length)) continue;
      std::size_t groups_needed = 1;
      while (groups_needed < 4 && (length >> (7 * groups_needed)) != 0) ++groups_needed;
      expected += 2 * (3 * (5 - groups_needed) + 1);
    }
  }
  CHECK(expected == 3646);  // for the lengths above: the loops cannot have skipped any
  CHECK(usual == expected);
  CHECK(checked == 2 * usual);
}

}  // namespace mqttwire_test
