// SPDX-License-Identifier: MIT
// decode_into, into a packet and into each packet struct, against decode() on every vector and
// every split point, at run time and in constant evaluation.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>

namespace mqttwire_test {
namespace {

// The outcome decode() gives, as decode_into reports it.
constexpr decode_result as_result(const result<decoded>& d) {
  if (d) return {errc::success, d->size};
  return {d.code(), d.error().offset};
}

// A packet of type P that none of the vectors decodes to: a failed decode must leave it, a
// successful one must overwrite every member of it.
template <class P>
constexpr P sentinel() {
  P p{};
  if constexpr (requires { p.packet_id = 0x5A5A; }) p.packet_id = 0x5A5A;
  if constexpr (requires { p.topic = "sentinel"; }) {
    p.topic = "sentinel";
    p.payload = "payload";
    p.retain = true;
  }
  if constexpr (requires { p.client_id = "sentinel"; }) {
    p.client_id = "sentinel";
    p.keep_alive = 0xBEEF;
    p.username = "u";
    p.password = "p";
    p.will = last_will{"t", "m", qos_level::exactly_once, true};
  }
  if constexpr (requires { p.return_code = connect_return_code::not_authorized; }) {
    p.return_code = connect_return_code::not_authorized;
    p.session_present = true;
  }
  if constexpr (requires { p.dup = true; }) p.dup = true;
  return p;
}

// Every way of decoding `wire` agrees with decode(): into a fresh packet, into a packet that
// holds a packet of the right type, into every packet struct (the packet's own, or
// unexpected_packet_type at 0 for the others). Returns what disagreed, or nullptr.
constexpr const char* entry_points_agree(std::string_view wire, protocol_version v,
                                         const options& opts) {
  const exact_buffer in(wire);
  const auto want = decode(in.view(), v, opts);
  const decode_result expected = as_result(want);
  {
    packet out{};
    const packet before = out;
    if (decode_into(in.view(), out, v, opts) != expected) return "decode_into(packet&) outcome";
    if (want ? !(out == want->pkt) : !(out == before)) return "decode_into(packet&) packet";
  }
  const unsigned type = wire.empty() ? 16u : static_cast<unsigned char>(wire[0]) >> 4;
  const char* failure = nullptr;
  const auto each = [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if (failure != nullptr) return;
          using P = std::variant_alternative_t<I, packet>;
          P typed = sentinel<P>();
          const P before = typed;
          const decode_result got = decode_into(in.view(), typed, v, opts);
          if (wire.empty()) {
            if (got != decode_result{errc::incomplete, 0} || !(typed == before)) {
              failure = "typed decode_into of empty input";
            }
            return;
          }
          if (I + 1 != type) {
            if (got != decode_result{errc::unexpected_packet_type, 0} || !(typed == before)) {
              failure = "typed decode_into of another type";
            }
            return;
          }
          if (got != expected) {
            failure = "typed decode_into outcome";
            return;
          }
          if (want ? !(packet(typed) == want->pkt) : !(typed == before)) {
            failure = "typed decode_into struct";
            return;
          }
          packet reused(std::in_place_type<P>, sentinel<P>());
          const packet reused_before = reused;
          if (decode_into(in.view(), reused, v, opts) != expected ||
              (want ? !(reused == want->pkt) : !(reused == reused_before))) {
            failure = "decode_into a packet of the same type";
          }
        }(),
        ...);
  };
  each(std::make_index_sequence<std::variant_size_v<packet>>{});
  return failure;
}

constexpr bool rows_agree(std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end && i < vector_count; ++i) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(vectors[i].versions, v)) continue;
      if (entry_points_agree(vectors[i].wire, v, vectors[i].opts) != nullptr) return false;
    }
  }
  return true;
}

// In constant evaluation (the exact form only), chunk by chunk for clang's step limit.
static_assert(rows_pass_in_chunks<rows_agree, 4>(),
              "decode_into disagrees with decode() on some vector in constant evaluation");

// The result comes back in two registers on the usual 64-bit ABIs.
static_assert(sizeof(decode_result) <= 2 * sizeof(void*));
static_assert(std::is_trivially_copyable_v<decode_result>);

// The typed form of one worked example, at compile time.
constexpr bool typed_puback_at_compile_time() {
  constexpr std::string_view wire = "\x40\x02\x00\x07"sv;
  const exact_buffer in(wire);
  puback a{};
  const decode_result r = decode_into(in.view(), a);
  pubrec wrong{};
  return r == decode_result{errc::success, 4} && a.packet_id == 7 &&
         decode_into(in.view(), wrong) == decode_result{errc::unexpected_packet_type, 0} &&
         wrong.packet_id == 0;
}
static_assert(typed_puback_at_compile_time());

}  // namespace

TEST_CASE("decode_into: every vector, into a packet and into every struct, agrees with decode()") {
  std::size_t checked = 0;
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      const char* failure = entry_points_agree(row.wire, v, row.opts);
      CHECK(failure == nullptr);
      if (failure != nullptr) MESSAGE(failure);
      ++checked;
    }
  }
  CHECK(checked > 200);
}

TEST_CASE("decode_into: every split point of every vector agrees with decode()") {
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      for (std::size_t cut = 0; cut < row.wire.size(); ++cut) {
        INFO("cut at " << cut);
        const char* failure = entry_points_agree(row.wire.substr(0, cut), v, row.opts);
        CHECK(failure == nullptr);
        if (failure != nullptr) MESSAGE(failure);
      }
    }
  }
}

TEST_CASE("decode_into: the same rows under the strictest and the most tolerant options") {
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      for (const options& o : {options::strictest(), options::tolerant(), options{}}) {
        INFO(row_title(row, v));
        const char* failure = entry_points_agree(row.wire, v, o);
        CHECK(failure == nullptr);
        if (failure != nullptr) MESSAGE(failure);
      }
    }
  }
}

TEST_CASE("decode_into: a PUBLISH and a PINGREQ back to back, into their structs") {
  // QoS 1, packet id 10, topic "a/b", payload "hi"; then a PINGREQ behind it.
  constexpr std::string_view stream = "\x32\x09\x00\x03" "a/b" "\x00\x0a" "hi" "\xc0\x00"sv;
  const exact_buffer in(stream);
  publish p{};
  const decode_result r = decode_into(in.view(), p);
  REQUIRE(r == decode_result{errc::success, 11});
  CHECK(p.topic == "a/b"sv);
  CHECK(p.topic.data() == in.view().data() + 4);  // a view into the input, not a copy
  CHECK(p.packet_id == std::uint16_t{10});
  CHECK(p.qos == qos_level::at_least_once);
  CHECK(p.payload == "hi"sv);
  CHECK_FALSE(p.dup);
  CHECK_FALSE(p.retain);
  pingreq ping{};
  CHECK(decode_into(in.view().subspan(r.size), ping) == decode_result{errc::success, 2});
  CHECK(decode_into(in.view().subspan(r.size), p) ==
        decode_result{errc::unexpected_packet_type, 0});
  CHECK(p.topic == "a/b"sv);  // refused: left as it was
  CHECK(r.error() == error{});
  CHECK(decode_result{errc::packet_id_zero, 5}.error() == error{errc::packet_id_zero, 5});
}

}  // namespace mqttwire_test
