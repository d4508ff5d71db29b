// SPDX-License-Identifier: MIT
// Compiles and runs every code snippet of docs/readme-codec-usage.md, and checks that the
// document shows exactly the code between the "snippet" markers below.
#include "doc_snippets.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

// snippet: include
#include <mqttwire/mqttwire.hpp>

#include <array>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <variant>
#include <vector>

using namespace mqttwire;
// end snippet

// snippet: compile-time
// A wire constant built by the compiler. An invalid packet (QoS 0 with a packet id, a '+' in
// the topic, an empty SUBSCRIBE...) is a compile error that names the errc.
static constexpr publish hello{.qos = qos_level::at_least_once, .topic = "greetings",
                               .packet_id = 1, .payload = "hi"};
constexpr std::array<char, 17> hello_wire = encode_array<hello>();
// end snippet

// snippet: every-type
// Lists are views of the caller's elements (any contiguous range); they must outlive encoding.
static constexpr subscription subs[] = {{"sensors/+/temp", qos_level::at_least_once},
                                        {"alerts/#", qos_level::exactly_once}};
static constexpr std::uint8_t granted[] = {0x01, suback_code::failure};
static constexpr std::string_view filters[] = {"sensors/+/temp"};

// One of each of the 14 packets (client to server, then server to client).
const packet all_types[] = {
    connect{.protocol = protocol_version::v3_1_1, .clean_session = true, .keep_alive = 60,
            .client_id = "dev1",
            .will = last_will{.topic = "dev1/status", .payload = "offline",
                              .qos = qos_level::at_least_once, .retain = true},
            .username = "user", .password = "secret"},
    connack{.session_present = false, .return_code = connect_return_code::accepted},
    publish{.dup = false, .qos = qos_level::exactly_once, .retain = false,
            .topic = "sensors/1/temp", .packet_id = 7, .payload = "21.5"},
    puback{.packet_id = 7},
    pubrec{.packet_id = 7},
    pubrel{.packet_id = 7},
    pubcomp{.packet_id = 7},
    subscribe{.packet_id = 8, .subscriptions = subs},
    suback{.packet_id = 8, .return_codes = granted},
    unsubscribe{.packet_id = 9, .topic_filters = filters},
    unsuback{.packet_id = 9},
    pingreq{},
    pingresp{},
    disconnect{},
};
// end snippet

TEST_CASE("readme: the compile-time PUBLISH is the expected 17 bytes") {
  CHECK(std::string(hello_wire.data(), hello_wire.size()) ==
        std::string("\x32\x0f" "\x00\x09" "greetings" "\x00\x01" "hi", 17));
}

TEST_CASE("readme: encode every packet type, then decode the stream") {
  // snippet: encode
  std::vector<char> stream;
  for (const packet& p : all_types) {
    // Either size a buffer exactly and encode into it (all or nothing)...
    std::vector<char> buffer(*encoded_size(p));
    const result<std::size_t> written = encode(p, std::span<char>(buffer));
    if (!written) {
      // written.code() is an errc such as errc::packet_id_zero; nothing was written.
      continue;
    }
    // ...or append through any output iterator.
    const auto r = encode_to(p, std::back_inserter(stream));
    if (r.ec != errc::success) continue;
  }
  // end snippet
  CHECK(stream.size() == 54 + 4 + 24 + 4 * 4 + 32 + 6 + 20 + 4 + 3 * 2);

  // snippet: decode
  // Decode packets from the front of a buffer. Strings, payloads and lists are views into
  // `stream`: no copies, no allocation. A proper prefix of a packet is errc::incomplete.
  std::span<const char> in(stream);
  std::vector<packet_type> seen;
  while (!in.empty()) {
    const result<decoded> d = decode(in, protocol_version::v3_1_1);
    if (!d) {
      if (d.code() == errc::incomplete) break;  // read more bytes, then call again
      // A malformed packet: report, then close the connection.
      break;
    }
    seen.push_back(type_of(d->pkt));
    std::visit([](const auto& p) { static_cast<void>(p); /* handle p */ }, d->pkt);
    if (const auto* pub = std::get_if<publish>(&d->pkt)) {
      // pub->topic == "sensors/1/temp", pub->packet_id == 7, pub->payload == "21.5"
      static_cast<void>(pub);
    }
    if (const auto* sub = std::get_if<subscribe>(&d->pkt)) {
      for (const subscription s : sub->subscriptions) {
        // s.topic_filter, s.qos
        static_cast<void>(s);
      }
    }
    in = in.subspan(d->size);  // the next packet starts here
  }
  // end snippet
  REQUIRE(seen.size() == 14);
  for (std::size_t i = 0; i < 14; ++i) CHECK(seen[i] == static_cast<packet_type>(i + 1));
  CHECK(in.empty());
}

TEST_CASE("readme: fields of decoded packets") {
  // snippet: fields
  const auto bytes = encode_array<hello>();
  const auto d = decode(std::span<const char>(bytes));
  const publish& p = std::get<publish>(d->pkt);  // d has a value: check it first in real code
  // p.qos == qos_level::at_least_once, p.topic == "greetings", *p.packet_id == 1,
  // p.payload == "hi", d->size == 17
  // end snippet
  REQUIRE(d);
  CHECK(p == hello);
  CHECK(d->size == 17);
}

TEST_CASE("readme: stream reading with peek_header") {
  const std::string wire(hello_wire.data(), hello_wire.size());
  // snippet: peek
  // How many bytes does the packet at the front need? 2 to 5 bytes are enough to tell.
  const result<frame_header> h = peek_header(std::span<const char>(wire.data(), 2));
  if (h) {
    // h->size() is the whole packet's length: wait until that many bytes are buffered.
  }
  // end snippet
  REQUIRE(h);
  CHECK(h->size() == 17);
}

TEST_CASE("readme: error handling") {
  // snippet: errors
  // A SUBSCRIBE without topic filters ([MQTT-3.8.3-3]).
  const char bad[] = {'\x82', '\x02', '\x00', '\x01'};
  const result<decoded> d = decode(std::span<const char>(bad), protocol_version::v3_1_1);
  if (!d) {
    const error e = d.error();             // e.code == errc::empty_subscription_list
    std::string_view name = to_string(e.code);  // "empty_subscription_list" (stable)
    std::string_view rule = rule_of(e.code);    // "[MQTT-3.8.3-3]"
    std::size_t where = e.offset;               // 1: the Remaining Length says so
    std::error_code ec = e.code;                // for Asio and friends: category "mqttwire"
    static_cast<void>(name), static_cast<void>(rule), static_cast<void>(where);
    static_cast<void>(ec);
  }

  // A server answers some decode errors with a CONNACK before closing:
  const char v5[] = {'\x10', '\x0e', '\x00', '\x04', 'M', 'Q', 'T', 'T', '\x05', '\x02',
                     '\x00', '\x3c', '\x00', '\x02', 'c', '1'};
  const auto c = decode(std::span<const char>(v5));
  if (!c) {
    if (const auto code = connack_for(c.code())) {
      // *code == connect_return_code::unacceptable_protocol_version: send CONNACK 1, close
    }
  }

  // A well-formed CONNECT can still be refused: ask which CONNACK to send.
  const connect hello_31{.protocol = protocol_version::v3_1, .client_id = ""};
  connect_return_code answer = connack_code_for(hello_31);  // identifier_rejected (3.1)
  answer = connack_code_for(connect{.client_id = "a-very-long-client-id-of-3.1"},
                            connect_policy{.accept_long_3_1_client_ids = true});  // accepted

  // Stricter checks are opt-in; encoders refuse what decoders reject.
  const options strict = options::strictest();  // or e.g. options{.strict_3_1 = true}
  const auto s = decode(std::span<const char>(bad), protocol_version::v3_1, strict);
  errc refused = validate(publish{.topic = "a/+"});  // errc::wildcard_in_topic_name
  // end snippet
  REQUIRE_FALSE(d);
  CHECK(d.error() == error{errc::empty_subscription_list, 1});
  CHECK(to_string(d.code()) == "empty_subscription_list");
  CHECK(rule_of(d.code()) == "[MQTT-3.8.3-3]");
  REQUIRE_FALSE(c);
  CHECK(connack_for(c.code()) == connect_return_code::unacceptable_protocol_version);
  CHECK(connack_code_for(hello_31) == connect_return_code::identifier_rejected);
  CHECK(answer == connect_return_code::accepted);
  CHECK(s.error() == error{errc::empty_subscription_list, 1});
  CHECK(decode(std::span<const char>(bad), protocol_version::v3_1));  // tolerated by default
  CHECK(refused == errc::wildcard_in_topic_name);
}

TEST_CASE("readme: the document shows exactly the snippets compiled here") {
  const auto blocks = doc_snippets::check_document("docs/readme-codec-usage.md",
                                                   {"tests/test_readme_examples.cpp"});
  CHECK(blocks.size() == 8);
}
