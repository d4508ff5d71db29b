// SPDX-License-Identifier: MIT
// Every vector decoded from every split point, byte by byte, and all of them back to back.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace mqttwire_test {
namespace {

// A prefix of a row either is "incomplete" (offset = bytes so far) or, for rows whose fault is
// in the fixed header, already shows the row's own error at an offset inside the prefix.
constexpr bool prefix_ok(const vector_row& row, protocol_version v, std::size_t cut) {
  const exact_buffer in(row.wire.substr(0, cut));
  const auto got = decode(in.view(), v, row.opts);
  if (got) return false;
  if (got.error() == error{errc::incomplete, cut}) return true;
  return row.expected.index() == 1 && got.error() == std::get<1>(row.expected) &&
         got.error().offset < cut;
}

constexpr bool all_prefixes_ok(std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end && i < vector_count; ++i) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(vectors[i].versions, v)) continue;
      for (std::size_t cut = 0; cut < vectors[i].wire.size(); ++cut) {
        if (!prefix_ok(vectors[i], v, cut)) return false;
      }
    }
  }
  return true;
}
// The 206-byte PUBLISH alone has 206 prefixes: small chunks keep clang under its step limit.
static_assert(rows_pass_in_chunks<all_prefixes_ok, 4>(),
              "some prefix of a vector is not 'incomplete'");

}  // namespace

TEST_CASE("split: every proper prefix of every vector is incomplete, never another error") {
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      for (std::size_t cut = 0; cut < row.wire.size(); ++cut) {
        INFO("cut at " << cut);
        const exact_buffer in(row.wire.substr(0, cut));
        const auto got = decode(in.view(), v, row.opts);
        REQUIRE_FALSE(got);
        if (got.code() == errc::incomplete) {
          CHECK(got.error().offset == cut);
        } else {
          // Only fixed-header faults show before the packet is complete.
          REQUIRE(row.expected.index() == 1);
          CHECK(got.error() == std::get<1>(row.expected));
          CHECK(got.error().offset < cut);
          CHECK(got.error().offset <= 4);
        }
      }
      // The whole row gives exactly the expected outcome.
      CHECK(check_row(row, v).ok);
    }
  }
}

TEST_CASE("split: fed byte by byte, a stream reader gets the packet exactly when it is complete") {
  for (const vector_row& row : vectors) {
    if (row.expected.index() != 0) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      std::vector<char> stream;
      std::size_t decoded_at = 0;
      for (const char c : row.wire) {
        stream.push_back(c);
        const auto got = decode(bytes_view(stream), v, row.opts);
        if (got) {
          decoded_at = stream.size();
          CHECK(got->pkt == std::get<0>(row.expected));
          break;
        }
        CHECK(got.error() == error{errc::incomplete, stream.size()});
      }
      CHECK(decoded_at == row.wire.size());
    }
  }
}

TEST_CASE("split: the fixed header alone tells how many bytes the packet needs") {
  for (const vector_row& row : vectors) {
    if (row.expected.index() != 0) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      // Grow the prefix until peek_header answers; that must happen within 5 bytes.
      std::size_t n = 1;
      result<frame_header> h = error{errc::incomplete, 0};
      for (; n <= row.wire.size(); ++n) {
        const exact_buffer in(row.wire.substr(0, n));
        h = peek_header(in.view(), v, row.opts);
        if (h || h.code() != errc::incomplete) break;
        CHECK(h.error().offset == n);
      }
      REQUIRE(h);
      CHECK(n == h->header_size);
      CHECK(n <= 5);
      CHECK(h->size() == row.wire.size());
      CHECK(h->type == type_of(std::get<0>(row.expected)));
    }
  }
}

TEST_CASE("split: all valid vectors back to back decode in sequence, cut anywhere") {
  for (const protocol_version v : {v311, v31}) {
    INFO(to_string(v));
    std::vector<char> stream;
    std::vector<const vector_row*> rows;
    for (const vector_row& row : vectors) {
      if (row.expected.index() != 0 || !applies(row.versions, v) || !(row.opts == options{})) {
        continue;
      }
      stream.insert(stream.end(), row.wire.begin(), row.wire.end());
      rows.push_back(&row);
    }
    REQUIRE(rows.size() > 30);

    // All at once: every packet in order, each taking exactly its bytes.
    std::size_t at = 0;
    for (const vector_row* row : rows) {
      INFO(row->name);
      const auto got = decode(bytes_view(stream).subspan(at), v);
      REQUIRE(got);
      CHECK(got->size == row->wire.size());
      CHECK(got->pkt == std::get<0>(row->expected));
      at += got->size;
    }
    CHECK(at == stream.size());

    // Delivered in two reads split at every position: a reader that keeps leftover bytes and
    // decodes whenever it can sees the same sequence of packets.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      std::vector<char> buffer;
      std::size_t next = 0;
      const auto drain = [&] {
        for (;;) {
          const auto got = decode(bytes_view(buffer), v);
          if (!got) {
            CHECK(got.code() == errc::incomplete);
            return;
          }
          REQUIRE(next < rows.size());
          CHECK(got->pkt == std::get<0>(rows[next]->expected));
          ++next;
          buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got->size));
        }
      };
      buffer.insert(buffer.end(), stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
      drain();
      buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end());
      drain();
      CHECK(next == rows.size());
      CHECK(buffer.empty());
    }
  }
}

}  // namespace mqttwire_test
