// SPDX-License-Identifier: MIT
// Compiles and runs every code snippet of docs/codec.md, and checks that the document shows
// exactly the code between the snippet markers below.
#include "doc_snippets.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
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

TEST_CASE("codec doc: the compile-time PUBLISH is the expected 17 bytes") {
  CHECK(std::string(hello_wire.data(), hello_wire.size()) ==
        std::string("\x32\x0f" "\x00\x09" "greetings" "\x00\x01" "hi", 17));
}

TEST_CASE("codec doc: encode every packet type, then decode the stream") {
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

TEST_CASE("codec doc: fields of decoded packets") {
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

TEST_CASE("codec doc: a PUBLISH head for scatter/gather, and results compared with ==") {
  // snippet: publish-head
  // A large PUBLISH without copying its payload: write the head, send the payload from where it is.
  const std::string payload(1000, 'x');
  const publish file{.qos = qos_level::at_least_once, .topic = "files/1", .packet_id = 9,
                     .payload = payload};
  std::array<char, 16> head_buffer{};  // a head is at most 5 + 2 + 65,535 + 2 bytes
  const result<publish_head> head = encode_publish_head(file, std::span<char>(head_buffer));
  // head->head_size == 14 (fixed header, topic, packet id), head->packet_size == 1014:
  // send head_buffer's first 14 bytes, then the payload (writev, an Asio buffer sequence).

  // A refusal is an error in the result, so results compare with ==.
  const bool refused = encoded_size(puback{.packet_id = 0}) ==
                       result<std::size_t>(error{errc::packet_id_zero, 0});
  // end snippet
  REQUIRE(head);
  CHECK(*head == publish_head{14, 1014});
  std::vector<char> whole(*encoded_size(file));
  REQUIRE(encode(file, std::span<char>(whole)));
  CHECK(std::string(head_buffer.data(), 14) + payload == std::string(whole.begin(), whole.end()));
  CHECK(refused);
  CHECK_FALSE(encoded_size(puback{.packet_id = 1}) ==
              result<std::size_t>(error{errc::packet_id_zero, 0}));
  CHECK(encoded_size(puback{.packet_id = 1}) == result<std::size_t>(4));
}

TEST_CASE("codec doc: stream reading with peek_header") {
  const std::string wire(hello_wire.data(), hello_wire.size());
  // snippet: peek
  // How many bytes does the packet at the front need? 2 to 5 bytes are enough to tell.
  const result<frame_header> h = peek_header(std::span<const char>(wire.data(), 2));
  if (h) {
    // h->size() is the whole packet's length: wait until that many bytes are buffered.
  }

  // The fixed header alone refuses what it proves wrong, before the body arrives.
  const char http[] = {'G', 'E', 'T', ' '};  // 0x47 would be a PUBACK with flags 0111
  const auto not_mqtt = peek_header(std::span<const char>(http));  // invalid_fixed_header_flags, 0
  const char long_ack[] = {'\x40', '\x03'};  // a PUBACK body is always 2 bytes, not 3
  const auto cannot_be = peek_header(std::span<const char>(long_ack));
  // cannot_be.error() == error{errc::impossible_remaining_length, 1}
  // end snippet
  REQUIRE(h);
  CHECK(h->size() == 17);
  CHECK(*h == frame_header{packet_type::publish, 2, 15, 2});
  CHECK(not_mqtt.error() == error{errc::invalid_fixed_header_flags, 0});
  CHECK(cannot_be.error() == error{errc::impossible_remaining_length, 1});
  CHECK(peek_header(std::span<const char>(long_ack, 1)).error() == error{errc::incomplete, 1});
}

TEST_CASE("codec doc: error handling, a server's answers and the options") {
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
  // end snippet

  // snippet: answers
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
  const connect long_31{.protocol = protocol_version::v3_1,
                        .client_id = "a-very-long-client-id-of-3.1"};  // 28 > 23 bytes
  answer = connack_code_for(long_31, connect_policy{.accept_long_3_1_client_ids = true});
  // answer == accepted

  // Or the whole CONNACK: Session Present only for an accepted, resumed 3.1.1 session.
  const connect resuming{.clean_session = false, .client_id = "dev1"};
  const connack welcome = answer_connect(resuming, /*had_session=*/true);  // {true, accepted}
  const connack go_away =
      answer_connect(resuming, true, connect_return_code::not_authorized);  // {false, 5}

  // SUBACK codes: the lower of the requested QoS and the server's maximum, or 0x80 to refuse.
  const auto code1 = suback_code_for(qos_level::exactly_once, qos_level::at_least_once);  // 1
  const auto code2 = suback_code_for(qos_level::at_most_once, std::nullopt);  // 0x80
  // MQTT 3.1 has no failure code: invalid_suback_return_code (grant, or close, instead).
  const auto code3 = suback_code_for(qos_level::at_most_once, std::nullopt, protocol_version::v3_1);

  // A client checks an acknowledgement against its request (same id, one code per filter).
  const errc reply = check_reply(subscribe{.packet_id = 8, .subscriptions = subs},
                                 suback{.packet_id = 8, .return_codes = granted});  // success
  // end snippet

  // snippet: options
  // A PUBLISH at QoS 0 with DUP set breaks a sender rule ([MQTT-3.3.1-2]); a 3.1.1 receiver
  // closes on it ([MQTT-4.8.0-1]), so the default decode refuses it at its first byte.
  const char dup_qos0[] = {'\x38', '\x03', '\x00', '\x01', 'a'};
  const auto refused_311 = decode(std::span<const char>(dup_qos0));  // dup_with_qos0 at 0
  // An inspector that must show what a peer sent tolerates the sender rules:
  const auto shown = decode(std::span<const char>(dup_qos0), protocol_version::v3_1_1,
                            options::tolerant());
  // MQTT 3.1 calls DUP without QoS meaningless and is tolerant by default; strict_3_1 (part of
  // strictest()) rejects it, and an empty SUBSCRIBE too.
  const auto tolerated_31 = decode(std::span<const char>(dup_qos0), protocol_version::v3_1);
  const options strict = options::strictest();  // or e.g. options{.strict_3_1 = true}
  const auto s = decode(std::span<const char>(bad), protocol_version::v3_1, strict);
  // Encoders refuse what any decoder would reject, whatever the options.
  errc refused = validate(publish{.dup = true, .topic = "a"});  // errc::dup_with_qos0
  // end snippet
  REQUIRE_FALSE(d);
  CHECK(d.error() == error{errc::empty_subscription_list, 1});
  CHECK(to_string(d.code()) == "empty_subscription_list");
  CHECK(rule_of(d.code()) == "[MQTT-3.8.3-3]");
  REQUIRE_FALSE(c);
  CHECK(connack_for(c.code()) == connect_return_code::unacceptable_protocol_version);
  CHECK(connack_code_for(hello_31) == connect_return_code::identifier_rejected);
  CHECK(connack_code_for(long_31) == connect_return_code::identifier_rejected);
  CHECK(answer == connect_return_code::accepted);
  CHECK(welcome == connack{.session_present = true, .return_code = connect_return_code::accepted});
  CHECK(go_away ==
        connack{.session_present = false, .return_code = connect_return_code::not_authorized});
  CHECK(code1 == result<std::uint8_t>(std::uint8_t{1}));
  CHECK(code2 == result<std::uint8_t>(std::uint8_t{0x80}));
  CHECK(code3.error() == error{errc::invalid_suback_return_code, 0});
  CHECK(reply == errc::success);
  CHECK(check_reply(subscribe{.packet_id = 8, .subscriptions = subs},
                    suback{.packet_id = 9, .return_codes = granted}) == errc::packet_id_mismatch);
  CHECK(refused_311.error() == error{errc::dup_with_qos0, 0});
  REQUIRE(shown);
  CHECK(std::get<publish>(shown->pkt) == publish{.dup = true, .topic = "a"});
  REQUIRE(tolerated_31);
  CHECK(std::get<publish>(tolerated_31->pkt).dup);
  CHECK(decode(std::span<const char>(dup_qos0), protocol_version::v3_1, strict).error() ==
        error{errc::dup_with_qos0, 0});
  CHECK(s.error() == error{errc::empty_subscription_list, 1});
  CHECK(decode(std::span<const char>(bad), protocol_version::v3_1));  // tolerated by default
  CHECK(refused == errc::dup_with_qos0);
  CHECK(validate(publish{.topic = "a/+"}) == errc::wildcard_in_topic_name);
}

// snippet: packet-ids
struct session {
  mqttwire::packet_id_allocator ids;  // 8 KiB, no allocation

  bool send_qos1(mqttwire::publish& p) {
    const std::optional<std::uint16_t> id = ids.allocate();
    if (!id) return false;  // 65,535 messages in flight: wait for acknowledgements
    p.qos = mqttwire::qos_level::at_least_once;
    p.packet_id = *id;
    return true;  // encode and send p
  }
  void on_puback(const mqttwire::puback& ack) { ids.release(ack.packet_id); }
};
// end snippet

TEST_CASE("codec doc: packet ids for QoS 1") {
  session s;
  mqttwire::publish p{.topic = "a"};
  REQUIRE(s.send_qos1(p));
  CHECK(p.packet_id == std::optional<std::uint16_t>(1));
  s.on_puback({1});
  CHECK(s.ids.empty());
}

TEST_CASE("codec doc: the document shows exactly the snippets compiled here") {
  const auto blocks = doc_snippets::check_document("docs/codec.md", {"tests/test_codec_doc.cpp"});
  CHECK(blocks.size() == 12);
}
