// SPDX-License-Identifier: MIT
// id_string: client ids of up to 23 bytes inside the object, longer ones on the heap, with the
// value semantics of std::string.
#include <doctest/doctest.h>
#include <mqttwire/session/id_string.hpp>

#include <string>
#include <utility>

using mqttwire::id_string;

TEST_CASE("id_string: up to 23 bytes inline, 24 and more on the heap, the same bytes back") {
  for (std::size_t n : {0u, 1u, 16u, 22u, 23u, 24u, 25u, 65'535u}) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
    const id_string id(s);
    CHECK(id.view() == s);
    CHECK(id.size() == n);
    CHECK(id.empty() == (n == 0));
    CHECK(id.is_inline() == (n <= 23));
  }
  CHECK(sizeof(id_string) == 24);
}

TEST_CASE("id_string: copies and moves own their bytes; a moved-from id is empty") {
  const std::string long_id(40, 'x');
  for (const std::string& s : {std::string("sensor-17"), long_id}) {
    id_string a(s);
    id_string b(a);
    CHECK(b == a);
    CHECK(b.view().data() != a.view().data());
    id_string c(std::move(a));
    CHECK(c.view() == s);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the state after a move is specified
    a = c;
    CHECK(a == std::string_view(s));
    id_string d;
    d = std::move(c);
    CHECK(d.view() == s);
    CHECK(c.empty());  // NOLINT(bugprone-use-after-move)
    const id_string& same = d;
    d = same;  // self-assignment keeps the value
    CHECK(d.view() == s);
  }
}

TEST_CASE("id_string: assigning from a view of its own bytes, long to short and short to long") {
  id_string a(std::string(30, 'y') + "tail");
  a = a.view().substr(30);  // its heap block is freed only after the 4 bytes are copied
  CHECK(a == std::string_view("tail"));
  CHECK(a.is_inline());
  a = std::string(100, 'z');
  CHECK(a.size() == 100);
  CHECK(!a.is_inline());
  a = a.view().substr(0, 50);  // heap to a new heap block, from its own bytes
  CHECK(a == std::string_view(std::string(50, 'z')));
  a = std::string_view();
  CHECK(a.empty());
  CHECK(a.is_inline());
}
