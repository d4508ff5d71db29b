// SPDX-License-Identifier: MIT
// Fuzz target: a client_session driven by arbitrary bytes from its server, time steps and
// application commands, over any number of connections.
//
// Input: four config bytes, then operations until the input ends.
//   [0] bit 0: manual_acks, bit 1: report_packets, bits 2-3: the session starts from a
//       restored state with 0..3 messages in flight
//   [1] decoding rules (fuzz::options_from)
//   [2] max_inflight = 1 + bits 0-1, max_queued = bits 2-4, max_unreleased = 1 + bits 5-7
//   [3] max_output = 8 + 8 * byte
// Each operation is a byte: bits 0-3 the kind, bits 4-7 an argument `a`:
//   0  feed a chunk (length byte, bytes)         1  the same by prepare/commit, a + 1 at a time
//   2  feed canned server packet a (the table below), its packet id from the next byte
//   3  time passes: next byte * (a + 1) * 250 ms, then on_timeout()
//   4  open(): bit 0 of a Clean Session, bit 1 MQTT 3.1, keep-alive (a >> 2) seconds
//   5  publish() at QoS a % 3 on topic "t/(a >> 2)", payload chunk
//   6  subscribe() one or two filters      7  unsubscribe() one filter
//   8  disconnect()                        9  acknowledge() manual ack number a % n, or an id
//   10 consume_output(two bytes)           11 take_output()
//   12 connection_lost()
// After each operation every event is polled.
//
// Oracles: no crash, leak or undefined behaviour; what the session emits on a connection (from
// open() on) decodes, under its version, as whole client-to-server packets: CONNECT first and
// once, then only PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and
// DISCONNECT, nothing after DISCONNECT; output() ends at a packet boundary; every packet starts
// while the output holds fewer than max_output bytes, but for the DISCONNECT and a PINGREQ
// while no other one past the bound is pending (client_session's output bound); in_flight() <=
// max_inflight, queued() <= max_queued (a restored state may hold more in flight, never more
// queued); events are well formed:
// `connected` at most once per connection and before any message, `closed` at most once and
// nothing after it until the next open(); command results are among the documented errc values.
#include "fuzz_common.hpp"

#include <mqttwire/decode.hpp>
#include <mqttwire/encode.hpp>
#include <mqttwire/session/client.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mqttwire;
using namespace std::chrono_literals;

std::string_view whole_input;

void expect(bool ok, const char* what) { fuzz::expect(ok, what, whole_input); }

template <class P>
std::string wire_of(const P& p, protocol_version v = protocol_version::v3_1_1) {
  std::string s;
  static_cast<void>(encode_to(p, std::back_inserter(s), v));
  return s;
}

const std::uint8_t granted_codes[] = {0x01, 0x80};

// Packets a server sends (and a few it never does), so that the fuzzer reaches deep states.
std::string canned(unsigned which, std::uint16_t id) {
  if (id == 0) id = 1;
  switch (which) {
    case 0: return wire_of(connack{.session_present = false, .return_code = connect_return_code::accepted});
    case 1: return wire_of(connack{.session_present = true, .return_code = connect_return_code::accepted});
    case 2: return wire_of(connack{.return_code = connect_return_code::not_authorized});
    case 3: return wire_of(publish{.qos = qos_level::at_most_once, .topic = "a/b", .payload = "0"});
    case 4: return wire_of(publish{.qos = qos_level::at_least_once, .topic = "a/b", .packet_id = id, .payload = "1"});
    case 5: return wire_of(publish{.qos = qos_level::exactly_once, .topic = "a/b", .packet_id = id, .payload = "2"});
    case 6: return wire_of(puback{id});
    case 7: return wire_of(pubrec{id});
    case 8: return wire_of(pubrel{id});
    case 9: return wire_of(pubcomp{id});
    case 10: return wire_of(suback{.packet_id = id, .return_codes = std::span(granted_codes, 1)});
    case 11: return wire_of(suback{.packet_id = id, .return_codes = granted_codes});
    case 12: return wire_of(unsuback{id});
    case 13: return wire_of(pingresp{});
    case 14: return wire_of(pingreq{});  // a packet a server never sends
    default: return wire_of(publish{.dup = true, .qos = qos_level::exactly_once, .topic = "a/b", .packet_id = id, .payload = "2"});
  }
}

class harness {
 public:
  harness(const client_options& o, session_state restored)
      : opts_(o), restored_in_flight_(static_cast<std::size_t>(std::count_if(
                      restored.outgoing.begin(), restored.outgoing.end(),
                      [](const outgoing_message& m) { return m.stage != out_stage::queued; }))),
        c_(o, std::move(restored)) {}

  void run(fuzz::input& in) {
    for (int ops = 0; in.remaining() > 0 && ops < 2000; ++ops) {
      const std::uint8_t op = in.byte();
      step(op & 15u, static_cast<unsigned>(op >> 4), in);
      poll();
      check();
    }
  }

 private:
  void step(unsigned kind, unsigned a, fuzz::input& in) {
    switch (kind) {
      case 0: {
        const std::string_view b = in.short_bytes();
        expect(c_.feed(bytes_view(b.data(), b.size()), now_) == b.size(), "feed took less");
        break;
      }
      case 1: {
        std::string_view b = in.short_bytes();
        while (!b.empty()) {
          const std::span<char> room = c_.prepare(std::min<std::size_t>(b.size(), a + 1));
          expect(!room.empty(), "prepare gave no room");
          const std::size_t n = std::min(room.size(), b.size());
          std::copy_n(b.data(), n, room.data());
          c_.commit(n, now_);
          b.remove_prefix(n);
        }
        break;
      }
      case 2: {
        const std::string b = canned(a, in.byte());
        expect(c_.feed(bytes_view(b.data(), b.size()), now_) == b.size(), "feed took less");
        break;
      }
      case 3:
        now_ += std::chrono::milliseconds(250) * in.byte() * (a + 1);
        c_.on_timeout(now_);
        break;
      case 4: {
        const bool was_open = c_.state() != link_state::disconnected;
        const connect c{.protocol = (a & 2u) != 0 ? protocol_version::v3_1 : protocol_version::v3_1_1,
                        .clean_session = (a & 1u) != 0,
                        .keep_alive = static_cast<std::uint16_t>(a >> 2),
                        .client_id = "c"};
        const errc e = c_.open(c, now_);
        expect(e == (was_open ? errc::second_connect : errc::success), "open result");
        if (!was_open) {
          // A new connection: the stream starts again (open() drops unsent output).
          emitted_.clear();
          pending_seen_ = decoded_ = 0;
          connect_seen_ = disconnect_seen_ = connected_ = closed_ = false;
          past_ping_end_ = 0;
        }
        break;
      }
      case 5: {
        const auto q = static_cast<qos_level>(a % 3);
        const std::string topic = "t/" + std::to_string(a >> 2);
        const std::string_view payload = in.short_bytes();
        const auto r = c_.publish(publish{.qos = q, .topic = topic, .payload = payload}, now_);
        if (!r) {
          const errc e = r.code();
          expect(e == errc::queue_full || (q == qos_level::at_most_once && e == errc::not_connected),
                 "publish result");
        } else {
          expect((*r == 0) == (q == qos_level::at_most_once), "publish id");
        }
        break;
      }
      case 6:
      case 7: {
        const subscription subs[] = {{"a/+", static_cast<qos_level>(a % 3)}, {"#", qos_level::at_least_once}};
        const std::string_view filters[] = {"a/+"};
        const auto r = kind == 6 ? c_.subscribe(std::span(subs, 1 + (a >> 3)), now_)
                                 : c_.unsubscribe(filters, now_);
        expect(r.has_value() || r.code() == errc::not_connected || r.code() == errc::queue_full,
               "subscribe result");
        break;
      }
      case 8: c_.disconnect(now_); break;
      case 9:
        if (!acks_.empty()) {
          const std::size_t i = a % acks_.size();
          c_.acknowledge(acks_[i], now_);
          acks_.erase(acks_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          c_.acknowledge(in.u16(), now_);
        }
        break;
      case 10: {
        const std::size_t n = in.u16();
        const std::size_t had = c_.output().size();
        c_.consume_output(n);
        pending_seen_ -= std::min(n, had);
        break;
      }
      case 11: {
        std::vector<char> out{'x'};
        c_.take_output(out);
        expect(out.size() == pending_seen_, "take_output gave other bytes than output()");
        pending_seen_ = 0;
        break;
      }
      case 12: c_.connection_lost(now_); break;
      default: break;
    }
  }

  void poll() {
    while (auto ev = c_.poll_event()) {
      expect(!closed_, "event after closed");
      if (std::holds_alternative<events::packet_received>(*ev)) {
        expect(opts_.report_packets, "packet_received without report_packets");
      } else if (std::holds_alternative<events::connected>(*ev)) {
        expect(!connected_, "connected twice");
        expect(c_.state() == link_state::connected, "connected while not connected");
        connected_ = true;
        acks_.clear();
      } else if (const auto* m = std::get_if<events::message>(&*ev)) {
        expect(connected_, "message before connected");
        if (opts_.manual_acks && m->msg.packet_id) acks_.push_back(*m->msg.packet_id);
      } else if (const auto* d = std::get_if<events::delivered>(&*ev)) {
        expect(d->qos != qos_level::at_most_once, "delivered at QoS 0");
      } else if (std::holds_alternative<events::closed>(*ev)) {
        expect(c_.state() == link_state::disconnected, "closed while not disconnected");
        closed_ = true;
      }
    }
  }

  void check() {
    const bytes_view pending = c_.output();
    expect(pending.size() >= pending_seen_, "output() lost bytes not consumed");
    emitted_.append(pending.data() + pending_seen_, pending.size() - pending_seen_);
    pending_seen_ = pending.size();
    const std::size_t consumed = emitted_.size() - pending.size();
    const protocol_version v = c_.version();
    while (decoded_ < emitted_.size()) {
      const auto d = decode(bytes_view(emitted_.data() + decoded_, emitted_.size() - decoded_), v);
      if (!d) {
        fuzz::print_hex("stream", std::string_view(emitted_).substr(decoded_));
        fuzz::fail(d.code() == errc::incomplete ? "output ends inside a packet"
                                                : "output does not decode", whole_input);
      }
      const packet_type t = type_of(d->pkt);
      expect(!disconnect_seen_, "a packet after DISCONNECT");
      if (decoded_ - consumed >= opts_.max_output) {
        // The bound: only a PINGREQ and the DISCONNECT are never held back, and a PINGREQ only
        // while no earlier one written past the bound is still in output() (one ping at a time).
        const bool ping_allowed = t == packet_type::pingreq && past_ping_end_ <= consumed;
        expect(t == packet_type::disconnect || ping_allowed, "a packet was written past max_output");
        if (t == packet_type::pingreq) past_ping_end_ = decoded_ + d->size;
      }
      if (t == packet_type::connect) {
        expect(!connect_seen_, "a second CONNECT");
        connect_seen_ = true;
      } else {
        expect(connect_seen_, "a packet before CONNECT");
        expect(t == packet_type::publish || t == packet_type::puback || t == packet_type::pubrec ||
                   t == packet_type::pubrel || t == packet_type::pubcomp ||
                   t == packet_type::subscribe || t == packet_type::unsubscribe ||
                   t == packet_type::pingreq || t == packet_type::disconnect,
               "a packet a client never sends");
        if (t == packet_type::disconnect) disconnect_seen_ = true;
      }
      decoded_ += d->size;
    }
    expect(c_.in_flight() <= std::max(opts_.max_inflight, restored_in_flight_), "in_flight() past max_inflight");
    expect(c_.queued() <= opts_.max_queued, "queued() past max_queued");
  }

  client_options opts_;
  std::size_t restored_in_flight_;
  client_session c_;
  time_point now_ = time_point{} + std::chrono::hours(1);
  std::string emitted_;
  std::size_t pending_seen_ = 0, decoded_ = 0;
  bool connect_seen_ = false, disconnect_seen_ = false, connected_ = false, closed_ = false;
  std::size_t past_ping_end_ = 0;  // where the last PINGREQ written past max_output ends
  std::vector<std::uint16_t> acks_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  whole_input = std::string_view(reinterpret_cast<const char*>(data), size);
  fuzz::input in(data, size);
  const std::uint8_t config = in.byte();
  client_options o;
  o.manual_acks = (config & 1u) != 0;
  o.report_packets = (config & 2u) != 0;
  o.rules = fuzz::options_from(in.byte());
  const std::uint8_t limits = in.byte();
  o.max_inflight = 1u + (limits & 3u);
  o.max_queued = (limits >> 2) & 7u;
  o.max_unreleased = 1u + (limits >> 5);
  o.max_output = 8u + 8u * in.byte();
  o.connect_timeout = 10s;
  // A restored state: messages in flight with ids 1.., a QoS 2 one already at PUBREL.
  session_state restored;
  restored.client_id = "c";
  const unsigned n = (config >> 2) & 3u;
  for (unsigned i = 0; i < n; ++i) {
    const auto id = static_cast<std::uint16_t>(i + 1);
    const qos_level q = i % 2 == 0 ? qos_level::at_least_once : qos_level::exactly_once;
    auto m = make_shared_message(publish{.qos = q, .topic = "r", .packet_id = id, .payload = "kept"});
    const out_stage stage = i == 2 ? out_stage::awaiting_pubcomp
                                   : (q == qos_level::at_least_once ? out_stage::awaiting_puback
                                                                    : out_stage::awaiting_pubrec);
    restored.outgoing.push_back({id, stage, i == 2 ? qos_level::exactly_once : q, false,
                                 stage == out_stage::awaiting_pubcomp ? nullptr : *m});
  }
  harness h(o, std::move(restored));
  h.run(in);
  return 0;
}
