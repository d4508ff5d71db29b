// SPDX-License-Identifier: MIT
// The encoders' run-time fast paths (encode of a PUBLISH, encode_publish_head, and the list and
// CONNECT writers) against the exact forms they must agree with: the same code, the same bytes,
// and nothing written on an error. Topics of every length 0..40 (around the 8-, 16- and 32-byte
// load boundaries), with NUL, non-ASCII bytes, '+' and '#' and UTF-8 at each position.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mqttwire_test {
namespace {

constexpr char fill_byte = static_cast<char>(0xA5);

// A buffer of n bytes filled with fill_byte.
std::vector<char> fresh(std::size_t n) { return std::vector<char>(n, fill_byte); }
// Compared as a whole (one memcmp): a loop over the 70,000 bytes of every refused case took
// most of this program's two minutes under AddressSanitizer at -O0.
bool untouched(const std::vector<char>& b) { return b == fresh(b.size()); }

// The topics of the matrix: every length 0..40 of plain ASCII, then each position of each
// length with one byte replaced (NUL, '+', '#', 0x7F, 0x80, 0xC3, 0xFF, '/', a control byte),
// and a two-byte UTF-8 character (é) and a three-byte one (€) at each position.
std::vector<std::string> topics() {
  std::vector<std::string> out;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string base;
    for (std::size_t i = 0; i < n; ++i) base += static_cast<char>('a' + i % 26);
    out.push_back(base);
    for (std::size_t i = 0; i < n; ++i) {
      for (const unsigned b : {0x00u, 0x2Bu, 0x23u, 0x7Fu, 0x80u, 0xC3u, 0xFFu, 0x2Fu, 0x01u}) {
        std::string t = base;
        t[i] = static_cast<char>(b);
        out.push_back(t);
      }
      if (i + 2 <= n) {
        std::string t = base;
        t[i] = static_cast<char>(0xC3);
        t[i + 1] = static_cast<char>(0xA9);
        out.push_back(t);
      }
      if (i + 3 <= n) {
        std::string t = base;
        t[i] = static_cast<char>(0xE2);
        t[i + 1] = static_cast<char>(0x82);
        t[i + 2] = static_cast<char>(0xAC);
        out.push_back(t);
        t[i] = static_cast<char>(0xED);  // a surrogate (U+D800..): invalid
        t[i + 1] = static_cast<char>(0xA0);
        t[i + 2] = static_cast<char>(0x80);
        out.push_back(t);
        t[i] = static_cast<char>(0xE0);  // an overlong form: invalid
        t[i + 1] = static_cast<char>(0x80);
        t[i + 2] = static_cast<char>(0xAF);
        out.push_back(t);
      }
    }
  }
  return out;
}

const std::array<options, 3> option_sets{options{}, options::strictest(), options::tolerant()};

// encode and encode_publish_head of p against the exact forms, with the buffer exact, one byte
// short and generous.
void check_publish(const publish& p, protocol_version v, const options& opts, std::size_t& n) {
  const errc want = validate(p, v, opts);
  const auto exact_size = encoded_size(p, v, opts);
  REQUIRE((want == errc::success) == exact_size.has_value());
  const std::size_t size = exact_size ? *exact_size : 0;
  std::vector<std::size_t> rooms{0, 1, 64, 300};
  if (size > 0) {
    rooms.push_back(size);
    rooms.push_back(size - 1);
  }
  for (const std::size_t room : rooms) {
    // The reference: the exact form, out of line.
    std::vector<char> ref = fresh(room);
    const auto r_ref = detail::encode_exact(p, std::span<char>(ref), v, opts);
    std::vector<char> got = fresh(room);
    const auto r = encode(p, std::span<char>(got), v, opts);
    ++n;
    REQUIRE(r.has_value() == r_ref.has_value());
    if (!r) {
      CHECK(r.code() == r_ref.code());
      CHECK(untouched(got));
      if (want != errc::success) CHECK(r.code() == want);
      if (want == errc::success) CHECK(r.code() == errc::buffer_too_small);
      continue;
    }
    CHECK(*r == *r_ref);
    CHECK(*r == size);
    CHECK(got == ref);

    std::vector<char> head_ref = fresh(room);
    const auto h_ref = detail::encode_publish_head_exact(p, std::span<char>(head_ref), v, opts);
    std::vector<char> head = fresh(room);
    const auto h = encode_publish_head(p, std::span<char>(head), v, opts);
    REQUIRE(h.has_value() == h_ref.has_value());
    if (h) {
      CHECK(*h == *h_ref);
      CHECK(head == head_ref);
    }
  }
  // The head alone needs room for the head only.
  if (size > 0) {
    const std::size_t head_size = size - p.payload.size();
    for (const std::size_t room : {head_size, head_size - 1}) {
      std::vector<char> head = fresh(room);
      const auto h = encode_publish_head(p, std::span<char>(head), v, opts);
      std::vector<char> head_ref = fresh(room);
      const auto h_ref = detail::encode_publish_head_exact(p, std::span<char>(head_ref), v, opts);
      REQUIRE(h.has_value() == h_ref.has_value());
      if (room == head_size) {
        REQUIRE(h.has_value());
        CHECK(h->head_size == head_size);
        CHECK(h->packet_size == size);
        CHECK(head == head_ref);
      } else {
        REQUIRE(!h.has_value());
        CHECK(h.code() == errc::buffer_too_small);
        CHECK(untouched(head));
      }
    }
  }
}

TEST_CASE("encode_fast: PUBLISH topics of every length and fault position agree with the exact form") {
  std::size_t n = 0;
  const std::string payload_bytes(300, 'p');
  for (const std::string& topic : topics()) {
    // The topic in an exact-size heap block, so that ASan sees any load outside it.
    const exact_buffer t(topic);
    publish p{};
    p.topic = t.str();
    p.payload = std::string_view(payload_bytes).substr(0, topic.size() % 3 == 0 ? 0 : 5);
    for (const options& opts : option_sets) check_publish(p, protocol_version::v3_1_1, opts, n);
  }
  CHECK(n > 10'000);
}

TEST_CASE("encode_fast: ascii_name_accept against the exact topic name check, every length") {
  std::size_t n = 0;
  for (const std::string& topic : topics()) {
    if (topic.empty()) continue;  // its precondition: 1..32,767 bytes
    const exact_buffer t(topic);
    const bool exact = validate_topic_name(t.str()).code == errc::success;
    bool ascii = true;
    for (const char c : topic) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    const bool fast = detail::ascii_name_accept(t.str().data(), topic.size());
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
    CHECK_MESSAGE(fast == (exact && ascii), "topic of " << topic.size() << " bytes");
#else
    CHECK(!fast);
#endif
    // Never sure of what the exact check refuses, with or without SSE2.
    if (!exact) CHECK(!fast);
    ++n;
  }
  CHECK(n > 5'000);
}

TEST_CASE("encode_fast: PUBLISH flags, packet ids, payload sizes and length fields") {
  std::size_t n = 0;
  static const std::string big(20'000, 'x');
  const exact_buffer t(std::string_view("vehicles/1234/position"));
  for (const unsigned q : {0u, 1u, 2u, 3u}) {
    for (const bool dup : {false, true}) {
      for (const int id : {-1, 0, 1, 0x1234, 0xFFFF}) {
        for (const std::size_t payload : {std::size_t{0}, std::size_t{1}, std::size_t{31},
                                          std::size_t{32}, std::size_t{33}, std::size_t{64},
                                          std::size_t{65}, std::size_t{101}, std::size_t{102},
                                          std::size_t{103}, std::size_t{200}, std::size_t{16'357},
                                          std::size_t{16'358}, std::size_t{20'000}}) {
          publish p{};
          p.qos = static_cast<qos_level>(q);
          p.dup = dup;
          p.retain = (payload & 1) != 0;
          if (id >= 0) p.packet_id = static_cast<std::uint16_t>(id);
          p.topic = t.str();
          p.payload = std::string_view(big).substr(0, payload);
          for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1}) {
            for (const options& opts : option_sets) check_publish(p, v, opts, n);
          }
        }
      }
    }
  }
  CHECK(n > 1'000);
}

TEST_CASE("encode_fast: PUBLISH topics past the strict 3.1 limit and at the string limit") {
  std::size_t n = 0;
  for (const std::size_t size : {std::size_t{32'766}, std::size_t{32'767}, std::size_t{32'768},
                                 std::size_t{65'535}, std::size_t{65'536}}) {
    const exact_buffer t(std::string(size, 'a'));
    publish p{};
    p.topic = t.str();
    for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1}) {
      for (const options& opts : option_sets) check_publish(p, v, opts, n);
    }
  }
  // The expected codes, spelled out.
  const std::string long_topic(32'768, 'a');
  publish p{};
  p.topic = long_topic;
  std::vector<char> out(70'000);
  CHECK(encode(p, std::span<char>(out), protocol_version::v3_1, options::strictest()).code() ==
        errc::topic_too_long);
  CHECK(encode(p, std::span<char>(out), protocol_version::v3_1_1).has_value());
  const std::string too_long(65'536, 'a');
  p.topic = too_long;
  CHECK(encode(p, std::span<char>(out)).code() == errc::string_too_long);
}

TEST_CASE("encode_fast: PUBLISH exact codes of the fast path's refusals") {
  std::array<char, 128> out{};
  publish p{};
  p.topic = "a/b";
  CHECK(encode(p, out).has_value());
  p.topic = "";
  CHECK(encode(p, out).code() == errc::empty_topic_name);
  p.topic = std::string_view("a\0b", 3);
  CHECK(encode(p, out).code() == errc::null_character);
  p.topic = "a/+";
  CHECK(encode(p, out).code() == errc::wildcard_in_topic_name);
  p.topic = "a/#";
  CHECK(encode_publish_head(p, out).code() == errc::wildcard_in_topic_name);
  p.topic = "\xC3\x28";
  CHECK(encode(p, out).code() == errc::invalid_utf8);
  p.topic = "a\x01";
  CHECK(encode(p, out, protocol_version::v3_1_1, options::strictest()).code() ==
        errc::control_character);
  CHECK(encode(p, out).has_value());
  p.topic = "a";
  p.dup = true;
  CHECK(encode(p, out).code() == errc::dup_with_qos0);
  p.dup = false;
  p.packet_id = 5;
  CHECK(encode(p, out).code() == errc::packet_id_with_qos0);
  p.qos = qos_level::at_least_once;
  p.packet_id = 0;
  CHECK(encode(p, out).code() == errc::packet_id_zero);
  p.packet_id.reset();
  CHECK(encode(p, out).code() == errc::missing_packet_id);
  p.qos = static_cast<qos_level>(3);
  CHECK(encode(p, out).code() == errc::invalid_qos);
  // A short buffer and an invalid topic: the topic's code comes first.
  p.qos = qos_level::at_most_once;
  p.topic = "a/+";
  std::array<char, 2> tiny{};
  CHECK(encode(p, tiny).code() == errc::wildcard_in_topic_name);
  CHECK(encode_publish_head(p, tiny).code() == errc::wildcard_in_topic_name);
  p.topic = "a/b";
  CHECK(encode(p, tiny).code() == errc::buffer_too_small);
  CHECK(encode_publish_head(p, tiny).code() == errc::buffer_too_small);
}

// encode(p) against the exact form for any packet: the same outcome, the same bytes, nothing
// written on an error.
template <class P>
void check_against_exact(const P& p, protocol_version v, const options& opts, std::size_t& n) {
  const auto size = encoded_size(p, v, opts);
  std::vector<std::size_t> rooms{0, 70'000};
  if (size && *size > 0) {
    rooms.push_back(*size);
    rooms.push_back(*size - 1);
  }
  for (const std::size_t room : rooms) {
    std::vector<char> ref = fresh(room);
    const auto r_ref = detail::encode_exact(p, std::span<char>(ref), v, opts);
    std::vector<char> got = fresh(room);
    const auto r = encode(p, std::span<char>(got), v, opts);
    ++n;
    REQUIRE(r.has_value() == r_ref.has_value());
    if (r) {
      CHECK(*r == *r_ref);
      CHECK(got == ref);
    } else {
      CHECK(r.code() == r_ref.code());
      CHECK(r.code() == (size ? errc::buffer_too_small : size.code()));
      CHECK(untouched(got));
    }
  }
}

TEST_CASE("encode_fast: CONNECT fields of every kind agree with the exact form") {
  std::size_t n = 0;
  // Sizes around the fast path's 32,767-byte limit and the 65,535-byte string limit, and
  // contents it must leave to the exact form.
  std::vector<std::string> strings{"", "a", "user", "traffic-gen-0001", "vehicles/1234/status",
                                   std::string(32'767, 'c'), std::string(32'768, 'c'),
                                   std::string(65'535, 'c'), std::string(65'536, 'c'),
                                   std::string("a\0b", 3), "a/+", "a/#", "\xC3\xA9t\xC3\xA9",
                                   "\xC3\x28", "ctl\x01"};
  std::vector<std::unique_ptr<exact_buffer>> held;
  std::vector<std::string_view> views;
  for (const std::string& x : strings) {
    held.push_back(std::make_unique<exact_buffer>(std::string_view(x)));
    views.push_back(held.back()->str());
  }
  const std::string_view plain = views[3];
  for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1,
                                   static_cast<protocol_version>(5)}) {
    for (const options& opts : option_sets) {
      for (std::size_t field = 0; field < 5; ++field) {
        for (const std::string_view x : views) {
          for (const int shape : {0, 1, 2, 3}) {
            connect c{};
            c.protocol = v;
            c.keep_alive = 60;
            c.client_id = field == 0 ? x : plain;
            if (shape != 1) {
              c.will = last_will{field == 1 ? x : views[4], field == 2 ? x : plain,
                                 static_cast<qos_level>(shape == 3 ? 3 : 1), shape == 2};
            }
            if (shape != 2) c.username = field == 3 ? x : plain;
            if (shape != 3 || field == 4) c.password = field == 4 ? x : plain;
            check_against_exact(c, v, opts, n);
          }
        }
      }
    }
  }
  CHECK(n > 2'000);
}

TEST_CASE("encode_fast: SUBSCRIBE filters of every length and fault position agree with the exact form") {
  std::size_t n = 0;
  const std::string_view plain = "a/b";
  for (const std::string& filter : topics()) {
    // The filter alone, and in the middle of a list (after an element the fast path has
    // already stored in its scratch, before one it has not seen).
    const exact_buffer held(filter);  // no bytes past the filter for a load to pick up
    const std::array<subscription, 1> one{{{held.str(), qos_level::at_least_once}}};
    const std::array<subscription, 3> three{{{plain, qos_level::exactly_once},
                                             {held.str(), qos_level::at_most_once},
                                             {"x/#", qos_level::at_least_once}}};
    for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1}) {
      for (const options& opts : option_sets) {
        subscribe s{};
        s.packet_id = 0x1234;
        s.subscriptions = one;
        check_against_exact(s, v, opts, n);
        s.subscriptions = three;
        check_against_exact(s, v, opts, n);
      }
    }
  }
  CHECK(n > 100'000);
}

TEST_CASE("encode_fast: SUBSCRIBE flags, QoS, list shapes and bodies around 127 bytes") {
  std::size_t n = 0;
  std::vector<std::string> filters{"a", "+", "#", "a/+/b", "a/#", "+/+", "sport/tennis/+/score",
                                   "vehicles/+/position", "vehicles/#", "alerts/speed", "a+", "#/a"};
  for (std::size_t k = 0; k <= 130; ++k) filters.push_back(std::string(k, 'f') + "/#");
  std::vector<std::unique_ptr<exact_buffer>> held;
  for (const std::string& f : filters) held.push_back(std::make_unique<exact_buffer>(f));
  for (const protocol_version v : {protocol_version::v3_1, protocol_version::v3_1_1}) {
    for (const options& opts : option_sets) {
      for (std::size_t i = 0; i < held.size(); ++i) {
        const std::string_view f = held[i]->str();
        for (const unsigned q : {0u, 1u, 2u, 3u, 0x80u}) {
          // One element, and two around it (the body passes 127 bytes for the long filters).
          const std::array<subscription, 1> one{{{f, static_cast<qos_level>(q)}}};
          const std::array<subscription, 3> three{{{"vehicles/+/position", qos_level::at_most_once},
                                                   {f, static_cast<qos_level>(q)},
                                                   {"alerts/speed", qos_level::exactly_once}}};
          for (const int shape : {0, 1, 2, 3}) {
            subscribe s{};
            s.packet_id = shape == 2 ? 0 : static_cast<std::uint16_t>(0xFF00u + i);
            s.dup = shape == 3;
            s.subscriptions = shape == 1 ? wire_list<subscription>(three) : wire_list<subscription>(one);
            check_against_exact(s, v, opts, n);
          }
        }
      }
      // An empty list, and a decoded list (a view of wire bytes).
      subscribe s{};
      s.packet_id = 1;
      check_against_exact(s, v, opts, n);
      const std::array<subscription, 2> two{{{"a/+", qos_level::at_least_once}, {"b", qos_level::at_most_once}}};
      s.subscriptions = two;
      std::array<char, 64> wire{};
      const auto size = encode(s, wire, v);
      REQUIRE(size.has_value());
      const auto decoded = decode(bytes_view(wire.data(), *size), v);
      REQUIRE(decoded.has_value());
      const auto* d = std::get_if<subscribe>(&decoded->pkt);
      REQUIRE(d != nullptr);
      REQUIRE(d->subscriptions.is_wire_view());
      check_against_exact(*d, v, opts, n);
    }
  }
  CHECK(n > 10'000);
}

TEST_CASE("encode_fast: SUBSCRIBE exact bytes and codes of the fused path") {
  const std::array<subscription, 3> subs{{{"vehicles/+/position", qos_level::at_most_once},
                                          {"vehicles/#", qos_level::at_least_once},
                                          {"alerts/speed", qos_level::exactly_once}}};
  subscribe s{};
  s.packet_id = 10;
  s.subscriptions = subs;
  const std::string_view want =
      "\x82\x34\x00\x0a"
      "\x00\x13vehicles/+/position\x00"
      "\x00\x0avehicles/#\x01"
      "\x00\x0c" "alerts/speed\x02"sv;
  std::array<char, 54> out{};
  const auto r = encode(s, out);
  REQUIRE(r.has_value());
  CHECK(*r == 54);
  CHECK(std::string_view(out.data(), out.size()) == want);
  // One byte short: buffer_too_small, nothing written.
  std::vector<char> short_buf = fresh(53);
  CHECK(encode(s, std::span<char>(short_buf)).code() == errc::buffer_too_small);
  CHECK(untouched(short_buf));
  // A fault in the last filter: its code, and the first two (already in the scratch) not
  // written either.
  const std::array<subscription, 3> bad{{{"vehicles/+/position", qos_level::at_most_once},
                                         {"vehicles/#", qos_level::at_least_once},
                                         {"alerts/sp#ed", qos_level::exactly_once}}};
  s.subscriptions = bad;
  std::vector<char> buf = fresh(100);
  CHECK(encode(s, std::span<char>(buf)).code() == errc::misplaced_multi_level_wildcard);
  CHECK(untouched(buf));
  const std::array<subscription, 2> bad_qos{{{"a", qos_level::at_most_once},
                                             {"b", static_cast<qos_level>(3)}}};
  s.subscriptions = bad_qos;
  CHECK(encode(s, std::span<char>(buf)).code() == errc::invalid_requested_qos);
  CHECK(untouched(buf));
  const std::array<subscription, 2> plus{{{"a/+x", qos_level::at_most_once}, {"b", qos_level::at_most_once}}};
  s.subscriptions = plus;
  CHECK(encode(s, std::span<char>(buf)).code() == errc::misplaced_single_level_wildcard);
  CHECK(untouched(buf));
}

}  // namespace
}  // namespace mqttwire_test
