// SPDX-License-Identifier: MIT
// The whole vector table (tests/vectors.hpp), checked at compile time and again at run time.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

namespace mqttwire_test {
namespace {

// Every row decodes to exactly its expected packet or error (code and offset), from an
// exact-size buffer, so any read past the end would stop compilation; valid rows re-encode.
static_assert(rows_pass_in_chunks<vectors_ok, 8>());

}  // namespace

TEST_CASE("vectors: every row decodes to its expected packet or error, in each version") {
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      SUBCASE(row_title(row, v).c_str()) {
        const exact_buffer in(row.wire);
        const auto got = decode(in.view(), v, row.opts);
        if (row.expected.index() == 1) {
          const error want = std::get<1>(row.expected);
          REQUIRE_FALSE(got);
          CHECK(std::string(to_string(got.error().code)) == std::string(to_string(want.code)));
          CHECK(got.error().offset == want.offset);
        } else {
          REQUIRE(got);
          CHECK(got->size == row.wire.size());
          CHECK(got->pkt.index() == std::get<0>(row.expected).index());
        }
        const check_result r = check_row(row, v);
        INFO(r.what);
        CHECK(r.ok);
      }
    }
  }
}

TEST_CASE("vectors: row names are unique and the table covers both versions") {
  std::size_t only_311 = 0, only_31 = 0, both = 0;
  for (std::size_t i = 0; i < vector_count; ++i) {
    for (std::size_t j = i + 1; j < vector_count; ++j) {
      INFO(vectors[i].name);
      CHECK(vectors[i].name != vectors[j].name);
    }
    only_311 += vectors[i].versions == in::v3_1_1;
    only_31 += vectors[i].versions == in::v3_1;
    both += vectors[i].versions == in::both;
  }
  CHECK(only_311 > 10);
  CHECK(only_31 > 10);
  CHECK(both > 100);
}

}  // namespace mqttwire_test
