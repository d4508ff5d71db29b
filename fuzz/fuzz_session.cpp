// SPDX-License-Identifier: MIT
// Fuzz target: a server_session driven by arbitrary bytes, time steps and broker commands, over
// any number of connections of one persistent session.
//
// Input: five config bytes, then operations until the input ends.
//   [0] bit 0: manual_acks, bit 1: report_packets, bit 2: the kept state goes through
//       serialise()/deserialise() at each reconnect
//   [1] decoding rules (fuzz::options_from)
//   [2] max_inflight = 1 + bits 0-1, max_queued = bits 2-4, max_unreleased = 1 + bits 5-7
//   [3] max_output = 8 + 8 * byte
//   [4] max_packet_size: 0 = 1 MiB, else 8 + 2 * byte
// Each operation is a byte: bits 0-3 the kind, bits 4-7 an argument `a`:
//   0  feed a chunk (length byte, bytes)         1  the same by prepare/commit, a + 1 at a time
//   2  feed canned packet a (the table below), its packet id from the next byte
//   3  time passes: next byte * (a + 1) * 250 ms, then on_timeout()
//   4  accept() (bit 0 of a: resume with the kept state)      5  reject(a % 6): 0 is refused
//   6  grant() the SUBSCRIBE awaiting number a % n with codes from the next bytes (count byte)
//   7  grant_up_to() the same with maximum QoS a % 3
//   8  deliver(): message QoS a % 3, granted (a >> 2) % 3, topic byte, payload chunk; the next
//      byte: bit 0 RETAIN, bit 1 the message is made for the other protocol version
//   9  acknowledge() the manual ack number a % n, or (none held) a packet id from two bytes
//   10 consume_output(two bytes)                 11 take_output()
//   12 connection_lost()                         13 close(one of a few reasons)
//   14 a new connection (when the old one is closed): a new server_session; the broker keeps
//      the old one's state with take_state() if it was accepted with Clean Session 0
//   15 the broker queues a message into the kept state (session_state::enqueue)
// After each operation every event is polled.
//
// Oracles: no crash, leak or undefined behaviour (sanitizers); the bytes the session emits on
// a connection decode, under its version, as whole server-to-client packets: CONNACK first and
// once, then only PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK and PINGRESP, and
// nothing after a refusing CONNACK; output() always ends at a packet boundary; every packet
// starts while the output holds fewer than max_output bytes (the bound of server_session's
// class comment: output().size() < max_output + the largest packet); in_flight() <=
// max_inflight, queued() <= max_queued, the QoS 2 ids awaiting PUBREL <= max_unreleased; events
// are well formed: connect_requested at most once and before any message, SUBSCRIBE or
// UNSUBSCRIBE event, packet_received only when asked for, `closed` at most once and nothing
// after it; command results are among the documented errc values.
#include "fuzz_common.hpp"

#include <mqttwire/decode.hpp>
#include <mqttwire/encode.hpp>
#include <mqttwire/session/server.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
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
std::string wire_of(const P& p, protocol_version v) {
  std::string s;
  static_cast<void>(encode_to(p, std::back_inserter(s), v));
  return s;
}

const subscription canned_subs[] = {{"a/+", qos_level::exactly_once}, {"#", qos_level::at_most_once}};
const std::string_view canned_filters[] = {"a/+", "x"};

// Packets a client sends, so that the fuzzer reaches deep states without learning the encoding.
// The packet id (where there is one) is patched from the input.
std::string canned(unsigned which, std::uint16_t id) {
  if (id == 0) id = 1;
  const auto v4 = protocol_version::v3_1_1;
  switch (which) {
    case 0: return wire_of(connect{.clean_session = false, .keep_alive = 2, .client_id = "c"}, v4);
    case 1: return wire_of(connect{.clean_session = true, .keep_alive = 0, .client_id = "c"}, v4);
    case 2:
      return wire_of(connect{.protocol = protocol_version::v3_1, .clean_session = false,
                             .keep_alive = 5, .client_id = "c",
                             .will = last_will{"w", "bye", qos_level::at_least_once, false}},
                     protocol_version::v3_1);
    case 3: return wire_of(publish{.qos = qos_level::at_most_once, .topic = "a/b", .payload = "0"}, v4);
    case 4: return wire_of(publish{.qos = qos_level::at_least_once, .topic = "a/b", .packet_id = id, .payload = "1"}, v4);
    case 5: return wire_of(publish{.qos = qos_level::exactly_once, .topic = "a/b", .packet_id = id, .payload = "2"}, v4);
    case 6: return wire_of(puback{id}, v4);
    case 7: return wire_of(pubrec{id}, v4);
    case 8: return wire_of(pubrel{id}, v4);
    case 9: return wire_of(pubcomp{id}, v4);
    case 10: return wire_of(subscribe{.packet_id = id, .subscriptions = canned_subs}, v4);
    case 11: return wire_of(unsubscribe{.packet_id = id, .topic_filters = canned_filters}, v4);
    case 12: return wire_of(pingreq{}, v4);
    case 13: return wire_of(disconnect{}, v4);
    case 14: return wire_of(publish{.dup = true, .qos = qos_level::exactly_once, .topic = "a/b", .packet_id = id, .payload = "2"}, v4);
    default: return wire_of(connack{}, v4);  // a packet a client never sends
  }
}

constexpr errc close_reasons[] = {errc::session_taken_over, errc::success, errc::keep_alive_timeout,
                                  errc::queue_full};

// One connection: the session and what the oracles know of its stream and events.
struct connection {
  server_session s;
  std::string emitted;           // every byte the session has output on this connection
  std::size_t pending_seen = 0;  // bytes of output() already in `emitted`
  std::size_t decoded = 0;       // bytes of `emitted` checked as whole packets
  bool connack = false, refused = false, requested = false, accepted = false, closed = false;
  bool persistent = false;
  std::vector<std::uint16_t> subscribes;  // SUBSCRIBE ids awaiting grant()
  std::vector<std::uint16_t> acks;        // QoS 1/2 ids awaiting acknowledge() (manual_acks)
  connection(const server_options& o, time_point t) : s(o, t) {}
};

class harness {
 public:
  harness(const server_options& o, bool round_trip) : opts_(o), round_trip_(round_trip) {
    conn_ = std::make_unique<connection>(opts_, now_);
  }

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
    server_session& s = conn_->s;
    switch (kind) {
      case 0: {
        const std::string_view b = in.short_bytes();
        expect(s.feed(bytes_view(b.data(), b.size()), now_) == b.size(), "feed took less");
        break;
      }
      case 1: {
        std::string_view b = in.short_bytes();
        while (!b.empty()) {
          const std::span<char> room = s.prepare(std::min<std::size_t>(b.size(), a + 1));
          expect(!room.empty(), "prepare gave no room");
          const std::size_t n = std::min(room.size(), b.size());
          std::copy_n(b.data(), n, room.data());
          s.commit(n, now_);
          b.remove_prefix(n);
        }
        break;
      }
      case 2: {
        const std::string b = canned(a, in.byte());
        expect(s.feed(bytes_view(b.data(), b.size()), now_) == b.size(), "feed took less");
        break;
      }
      case 3:
        now_ += std::chrono::milliseconds(250) * in.byte() * (a + 1);
        s.on_timeout(now_);
        break;
      case 4: {
        const bool authorizing = s.state() == link_state::authorizing;
        std::optional<session_state> resume;
        if ((a & 1u) != 0 && kept_) resume = std::move(kept_);
        const bool clean = authorizing && s.request().view().clean_session;
        const bool takes = authorizing && !clean && resume.has_value();
        const errc e = s.accept(now_, std::move(resume));
        expect(e == (authorizing ? errc::success : errc::unexpected_packet), "accept result");
        if (authorizing) {
          conn_->accepted = true;
          conn_->persistent = !clean;
          if (clean) kept_.reset();  // a clean session ends the kept one ([MQTT-3.1.2-6])
        }
        static_cast<void>(takes);
        break;
      }
      case 5: {
        const auto code = static_cast<connect_return_code>(a % 6);
        const bool authorizing = s.state() == link_state::authorizing;
        const errc e = s.reject(code, now_);
        expect(e == (authorizing && a % 6 != 0 ? errc::success : errc::unexpected_packet),
               "reject result");
        break;
      }
      case 6:
      case 7: {
        std::uint16_t id = 0;
        if (!conn_->subscribes.empty()) {
          id = conn_->subscribes[a % conn_->subscribes.size()];
        } else {
          id = in.u16();
        }
        errc e = errc::success;
        if (kind == 6) {
          const std::string_view codes = in.bytes(in.byte() % 4);
          std::vector<std::uint8_t> c;
          for (const char ch : codes) c.push_back(static_cast<std::uint8_t>(ch) % 4 == 3 ? 0x80 : static_cast<std::uint8_t>(static_cast<std::uint8_t>(ch) % 4));
          e = s.grant(id, c, now_);
          expect(e == errc::success || e == errc::packet_id_mismatch ||
                     e == errc::return_code_count_mismatch || e == errc::invalid_suback_return_code ||
                     e == errc::not_connected,
                 "grant result");
        } else {
          e = s.grant_up_to(id, static_cast<qos_level>(a % 3), now_);
          expect(e == errc::success || e == errc::packet_id_mismatch || e == errc::not_connected,
                 "grant_up_to result");
        }
        if (e == errc::success) std::erase(conn_->subscribes, id);
        break;
      }
      case 8:
      case 15: {
        const auto q = static_cast<qos_level>(a % 3);
        const auto granted = static_cast<qos_level>((a >> 2) % 3);
        const std::string topic = "t/" + std::to_string(in.byte() % 4);
        const std::string_view payload = in.short_bytes();
        const std::uint8_t flags = in.byte();
        protocol_version v = s.version();
        if ((flags & 2u) != 0) v = v == protocol_version::v3_1 ? protocol_version::v3_1_1 : protocol_version::v3_1;
        const publish p{.qos = q, .topic = topic,
                        .packet_id = q == qos_level::at_most_once ? std::nullopt : std::optional<std::uint16_t>(7),
                        .payload = payload};
        auto m = make_shared_message(p, v);
        expect(m.has_value(), "make_shared_message refused a valid message");
        if (kind == 8) {
          const errc e = s.deliver(*m, granted, (flags & 1u) != 0, now_);
          const bool connected = s.state() == link_state::connected;
          expect(connected ? (e == errc::success || e == errc::queue_full)
                           : e == errc::not_connected,
                 "deliver result");
        } else if (kept_) {
          const errc e = kept_->enqueue(*m, std::min(q, granted), opts_.max_queued);
          expect(e == errc::success || e == errc::queue_full, "enqueue result");
        }
        break;
      }
      case 9:
        if (!conn_->acks.empty()) {
          const std::size_t i = a % conn_->acks.size();
          s.acknowledge(conn_->acks[i], now_);
          conn_->acks.erase(conn_->acks.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          s.acknowledge(in.u16(), now_);
        }
        break;
      case 10: {
        const std::size_t n = in.u16();
        const std::size_t had = s.output().size();
        s.consume_output(n);
        conn_->pending_seen -= std::min(n, had);
        break;
      }
      case 11: {
        std::vector<char> out{'x'};
        s.take_output(out);
        expect(out.size() == conn_->pending_seen, "take_output gave other bytes than output()");
        conn_->pending_seen = 0;
        break;
      }
      case 12: s.connection_lost(now_); break;
      case 13: s.close(close_reasons[a % std::size(close_reasons)], now_); break;
      case 14:
        if (s.state() != link_state::disconnected) break;
        finish_connection();
        break;
      default: break;
    }
  }

  void finish_connection() {
    connection& c = *conn_;
    expect(c.closed || !c.requested || c.s.state() == link_state::disconnected, "reconnect while open");
    if (c.accepted && c.persistent) {
      kept_ = c.s.take_state();
      if (round_trip_) {
        const auto saved = serialise(*kept_);
        expect(saved.has_value(), "a session's state does not serialise");
        const std::vector<char>& bytes = *saved;
        auto back = deserialise(bytes_view(bytes.data(), bytes.size()));
        expect(back.has_value() && *back == *kept_, "kept state does not round-trip");
        kept_ = std::move(*back);
      }
    }
    conn_ = std::make_unique<connection>(opts_, now_);
  }

  void poll() {
    connection& c = *conn_;
    bool packet_pending = false;  // a packet_received not yet followed by its own event
    while (auto ev = c.s.poll_event()) {
      expect(!c.closed, "event after closed");
      if (const auto* r = std::get_if<events::packet_received>(&*ev)) {
        expect(opts_.report_packets, "packet_received without report_packets");
        static_cast<void>(r);
        packet_pending = true;
        continue;
      }
      packet_pending = false;
      if (const auto* q = std::get_if<events::connect_requested>(&*ev)) {
        expect(!c.requested, "second connect_requested");
        expect(c.s.state() == link_state::authorizing, "connect_requested while not authorizing");
        expect(q->request == c.s.request().view(), "connect_requested differs from request()");
        c.requested = true;
      } else if (const auto* m = std::get_if<events::message>(&*ev)) {
        expect(c.accepted, "message before accept");
        if (opts_.manual_acks && m->msg.packet_id) c.acks.push_back(*m->msg.packet_id);
      } else if (const auto* sr = std::get_if<events::subscribe_requested>(&*ev)) {
        expect(c.accepted, "subscribe_requested before accept");
        c.subscribes.push_back(sr->packet_id);
      } else if (std::holds_alternative<events::unsubscribe_requested>(*ev)) {
        expect(c.accepted, "unsubscribe_requested before accept");
      } else if (const auto* d = std::get_if<events::delivered>(&*ev)) {
        expect(d->qos != qos_level::at_most_once, "delivered at QoS 0");
      } else if (const auto* x = std::get_if<events::closed>(&*ev)) {
        expect(c.s.state() == link_state::disconnected, "closed while not disconnected");
        expect(!x->publish_will || (c.accepted && c.s.request().view().will), "will without a will");
        c.closed = true;
      }
    }
    static_cast<void>(packet_pending);
  }

  void check() {
    connection& c = *conn_;
    const server_session& s = c.s;
    const bytes_view pending = s.output();
    expect(pending.size() >= c.pending_seen, "output() lost bytes not consumed");
    c.emitted.append(pending.data() + c.pending_seen, pending.size() - c.pending_seen);
    c.pending_seen = pending.size();
    const std::size_t consumed = c.emitted.size() - pending.size();
    const protocol_version v = s.version();
    while (c.decoded < c.emitted.size()) {
      const auto d = decode(bytes_view(c.emitted.data() + c.decoded, c.emitted.size() - c.decoded), v);
      if (!d) {
        fuzz::print_hex("stream", std::string_view(c.emitted).substr(c.decoded));
        fuzz::fail(d.code() == errc::incomplete ? "output ends inside a packet"
                                                : "output does not decode", whole_input);
      }
      // The bound: each packet starts while fewer than max_output bytes wait.
      expect(c.decoded - consumed < opts_.max_output, "a packet was written past max_output");
      expect(!c.refused, "a packet after a refusing CONNACK");
      const packet_type t = type_of(d->pkt);
      if (t == packet_type::connack) {
        expect(!c.connack, "a second CONNACK");
        c.connack = true;
        c.refused = std::get<connack>(d->pkt).return_code != connect_return_code::accepted;
      } else {
        expect(c.connack, "a packet before CONNACK");
        expect(t == packet_type::publish || t == packet_type::puback || t == packet_type::pubrec ||
                   t == packet_type::pubrel || t == packet_type::pubcomp ||
                   t == packet_type::suback || t == packet_type::unsuback ||
                   t == packet_type::pingresp,
               "a packet a server never sends");
      }
      c.decoded += d->size;
    }
    expect(s.in_flight() <= opts_.max_inflight, "in_flight() past max_inflight");
    expect(s.queued() <= opts_.max_queued, "queued() past max_queued");
    expect(s.export_state().incoming_qos2.size() <= opts_.max_unreleased, "unreleased past max_unreleased");
  }

  server_options opts_;
  bool round_trip_;
  time_point now_ = time_point{} + std::chrono::hours(1);
  std::unique_ptr<connection> conn_;
  std::optional<session_state> kept_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  whole_input = std::string_view(reinterpret_cast<const char*>(data), size);
  fuzz::input in(data, size);
  const std::uint8_t config = in.byte();
  server_options o;
  o.manual_acks = (config & 1u) != 0;
  o.report_packets = (config & 2u) != 0;
  o.rules = fuzz::options_from(in.byte());
  const std::uint8_t limits = in.byte();
  o.max_inflight = 1u + (limits & 3u);
  o.max_queued = (limits >> 2) & 7u;
  o.max_unreleased = 1u + (limits >> 5);
  o.max_output = 8u + 8u * in.byte();
  const std::uint8_t packet_limit = in.byte();
  o.max_packet_size = packet_limit == 0 ? std::size_t{1} << 20 : 8u + 2u * packet_limit;
  o.connect_timeout = 10s;
  harness h(o, (config & 4u) != 0);
  h.run(in);
  return 0;
}
