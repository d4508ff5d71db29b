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

}  // namespace mqttwire_test
