// SPDX-License-Identifier: MIT
// Test support for the subscription index: a topic and filters that overflow its inline work lists.
#ifndef MQTTWIRE_TESTS_TEST_SUBSCRIPTION_SUPPORT_HPP
#define MQTTWIRE_TESTS_TEST_SUBSCRIPTION_SUPPORT_HPP

#include <string>

namespace subscription_test {

// "l0/l1/.../l<levels-1>". (Built with += only: g++ 12 -O3 gives a false -Wrestrict on
// const char* + std::string.)
inline std::string wide_topic(int levels) {
  std::string t;
  for (int i = 0; i < levels; ++i) {
    if (i) t += '/';
    t += 'l';
    t += std::to_string(i);
  }
  return t;
}

// The filter of `levels` levels that is '+' everywhere but at level `literal_at`, where it is the
// topic's level; for literal_at >= levels, all '+'. The levels + 1 of them all match
// wide_topic(levels), and a lookup keeps a literal sibling pending at each level of the all-'+'
// path: past 31 levels and 16 filters the inline work lists are too small.
inline std::string wide_filter(int literal_at, int levels) {
  std::string f;
  for (int j = 0; j < levels; ++j) {
    if (j) f += '/';
    if (j == literal_at) {
      f += 'l';
      f += std::to_string(j);
    } else {
      f += '+';
    }
  }
  return f;
}

}  // namespace subscription_test

#endif  // MQTTWIRE_TESTS_TEST_SUBSCRIPTION_SUPPORT_HPP
