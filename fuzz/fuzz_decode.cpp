// SPDX-License-Identifier: MIT
// Fuzz target: decode arbitrary bytes under both versions and both strictness settings, then
// check that every accepted packet re-encodes and round-trips.
//
// Input: raw wire bytes (one or more packets back to back), exactly what a peer could send.
// Oracles, for v in {3.1.1, 3.1} and options in {default, strictest}:
//  1. decode never crashes or reads out of bounds (ASan), and its error offsets lie in the input;
//  2. an accepted packet's size agrees with peek_header, and every proper prefix of it is
//     `incomplete` (what a stream reader relies on);
//  3. a packet accepted under strictest() is accepted under the defaults, and equal;
//  4. every accepted packet passes validate/encode with the SAME version and options, except for
//     the documented tolerances listed in allowed_refusal() below;
//  5. the re-encoded bytes are exactly encoded_size() long and decode to an equal packet;
//  6. when the input was canonical (see is_canonical), the re-encoded bytes equal the input.
//  7. every decode entry point agrees exactly (code, offset or size, packet): decode(),
//     decode_into a packet (fresh, or holding a packet of the same type already), decode_into
//     the packet struct of the first byte's type (another type gives unexpected_packet_type at
//     0), and the exact form alone (detail::decode_exact, what constant evaluation runs), under
//     the defaults, strictest() and a third set of options taken from the input's last byte;
//     and a failed decode_into leaves the caller's object as it was.
//     Non-canonical inputs are accepted by design (spec reference section 7/8): a non-minimal
//     Remaining Length, 3.1 tolerant fixed-header or connect flags, ignored CONNACK bits and
//     reserved requested-QoS bits. For those only packets are compared (STYLE.md 4.9).
#include "fuzz_common.hpp"

#include <mqttwire/decode.hpp>
#include <mqttwire/encode.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace mqttwire;

// The decoder accepts a few things the encoder refuses to produce, each a documented choice:
// - dup_with_qos0: a decoder told to tolerate it (options::tolerate_dup_with_qos0), or a
//   tolerant 3.1 decoder, accepts DUP on a QoS 0 PUBLISH (spec reference 7.5 row 61), but the
//   encoder never sends it.
// - empty_subscription_list / empty_unsubscribe_list: a 3.1 decoder tolerates an empty SUBSCRIBE
//   or UNSUBSCRIBE unless strict_3_1 (rows 62 and 69, section 8 item 13); the encoder holds 3.1
//   to the 3.1.1 rule.
// - session_present_with_error: a 3.1.1 CONNACK with Session Present and a refusal is a sender
//   violation the decoder accepts only with tolerate_session_present_with_error (section 8
//   item 10); the encoder always refuses it ([MQTT-3.2.2-4]).
// Not in this list, because they decode to a packet the encoder does accept: a 3.1 CONNECT whose
// User Name / Password flag is set but whose field is missing (row 49: the field counts as
// absent, so the packet has no username and re-encodes without the flag), and 3.1 Will QoS /
// Will Retain bits without a will (row 46/47: disregarded).
bool allowed_refusal(errc e, const packet& p, protocol_version v, const options& o) {
  switch (e) {
    case errc::dup_with_qos0: {
      const auto* pub = std::get_if<publish>(&p);
      const bool tolerated = v == protocol_version::v3_1_1 ? o.tolerate_dup_with_qos0 : !o.strict_3_1;
      return pub && pub->dup && pub->qos == qos_level::at_most_once && tolerated;
    }
    case errc::empty_subscription_list: {
      const auto* s = std::get_if<subscribe>(&p);
      return s && s->subscriptions.empty() && v == protocol_version::v3_1 && !o.strict_3_1;
    }
    case errc::empty_unsubscribe_list: {
      const auto* u = std::get_if<unsubscribe>(&p);
      return u && u->topic_filters.empty() && v == protocol_version::v3_1 && !o.strict_3_1;
    }
    case errc::session_present_with_error: {
      const auto* c = std::get_if<connack>(&p);
      return c && c->session_present && c->return_code != connect_return_code::accepted &&
             v == protocol_version::v3_1_1 && o.tolerate_session_present_with_error;
    }
    default: return false;
  }
}

// Turns a tolerated packet into the one a correct sender would have sent, so that the rest of
// the round trip is still checked; false when there is no such packet (an empty list).
bool repair(packet& p, errc e) {
  if (e == errc::dup_with_qos0) {
    std::get<publish>(p).dup = false;
    return true;
  }
  if (e == errc::session_present_with_error) {
    std::get<connack>(p).session_present = false;
    return true;
  }
  return false;
}

// The connect-flags byte the encoder writes for `c` (MQTT 3.1.1 §3.1.2.3).
std::uint8_t connect_flags_of(const connect& c) {
  unsigned f = c.clean_session ? 0x02u : 0u;
  if (c.will) f |= 0x04u | (static_cast<unsigned>(c.will->qos) << 3) | (c.will->retain ? 0x20u : 0u);
  if (c.password) f |= 0x40u;
  if (c.username) f |= 0x80u;
  return static_cast<std::uint8_t>(f);
}

// True when `wire` (one accepted packet) is written exactly as our encoder would write `p`:
// checked field by field from the input, independently of the encoder.
bool is_canonical(std::string_view wire, const packet& p, protocol_version v, const options& o) {
  const auto h = peek_header(bytes_view(wire.data(), wire.size()), v, o);
  if (!h) return false;
  if (h->header_size != 1 + detail::varint_size(h->remaining_length)) return false;
  const auto first = static_cast<std::uint8_t>(wire[0]);
  const auto* body = wire.data() + h->header_size;
  if (const auto* c = std::get_if<connect>(&p)) {
    if (h->flags != 0) return false;
    const std::size_t name_len = c->protocol == protocol_version::v3_1 ? 6 : 4;
    return static_cast<std::uint8_t>(body[2 + name_len + 1]) == connect_flags_of(*c);
  }
  if (const auto* c = std::get_if<connack>(&p)) {
    return h->flags == 0 && static_cast<std::uint8_t>(body[0]) == (c->session_present ? 1 : 0);
  }
  if (std::holds_alternative<publish>(p)) return true;  // every flag bit is a field
  bool dup = false;
  if (const auto* r = std::get_if<pubrel>(&p)) dup = r->dup;
  if (const auto* u = std::get_if<unsubscribe>(&p)) dup = u->dup;
  if (const auto* s = std::get_if<subscribe>(&p)) {
    dup = s->dup;
    // 3.1 tolerant decoding drops reserved bits 7-2 of a requested QoS.
    const std::string_view list = s->subscriptions.wire_bytes();
    for (std::size_t i = 0; i < list.size();) {
      const std::size_t n = detail::load_be16(list.data() + i);
      if (static_cast<std::uint8_t>(list[i + 2 + n]) > 2) return false;
      i += 3 + n;
    }
  }
  const unsigned expected = (static_cast<unsigned>(type_of(p)) << 4) |
                            detail::canonical_flags(type_of(p)) | (dup ? 0x08u : 0u);
  return first == expected;
}

void check_round_trip(std::string_view whole, std::string_view wire, packet p, protocol_version v,
                      const options& o) {
  bool canonical = is_canonical(wire, p, v, o);
  if (const errc e = validate(p, v, o); e != errc::success) {
    fuzz::expect(allowed_refusal(e, p, v, o), "the encoder refuses a packet the decoder accepted",
                 whole);
    if (!repair(p, e)) return;
    fuzz::expect(validate(p, v, o) == errc::success, "the repaired packet does not validate",
                 whole);
    canonical = false;  // the repaired packet is not the one on the wire
  }
  std::vector<char> buf(*encoded_size(p, v, o));
  const auto n = encode(p, std::span<char>(buf), v, o);
  fuzz::expect(n.has_value(), "encode fails although validate succeeded", whole);
  fuzz::expect(*n == buf.size(), "encode wrote a different size than encoded_size", whole);
  const auto again = decode(bytes_view(buf.data(), buf.size()), v, o);
  if (!again) {
    fuzz::print_hex("re-encoded", std::string_view(buf.data(), buf.size()));
    fuzz::fail(fuzz::name_of(again.code()), whole);
  }
  fuzz::expect(again->size == buf.size(), "the re-encoded packet decodes to another size", whole);
  fuzz::expect(again->pkt == p, "the re-encoded packet decodes to a different packet", whole);
  const std::string_view out(buf.data(), buf.size());
  if (canonical && out != wire) {
    fuzz::print_hex("re-encoded", out);
    fuzz::fail("a canonical input re-encodes to different bytes", whole);
  }
}

// A packet of type P that no decode of a short input produces, to see that decode_into
// overwrites (or, on failure, keeps) every member.
template <class P>
P sentinel() {
  P p{};
  if constexpr (requires { p.packet_id = 0x5A5A; }) p.packet_id = 0x5A5A;
  if constexpr (requires { p.topic = "sentinel"; }) p.topic = "sentinel";
  if constexpr (requires { p.client_id = "sentinel"; }) {
    p.client_id = "sentinel";
    p.username = "u";
    p.password = "p";
    p.will = last_will{"t", "m", qos_level::exactly_once, true};
  }
  if constexpr (requires { p.dup = true; }) p.dup = true;
  return p;
}

const char* compare(const decode_result& got, const result<decoded>& want, const packet& pkt) {
  if (!want) {
    if (got.ec != want.code() || got.size != want.error().offset) return "error differs";
    return nullptr;
  }
  if (got.ec != errc::success || got.size != want->size) return "outcome differs";
  if (!(pkt == want->pkt)) return "packet differs";
  return nullptr;
}

// Oracle 7 for one input position, version and options.
void check_entry_points(std::string_view whole, bytes_view in, protocol_version v,
                        const options& o) {
  const result<decoded> want = decode(in, v, o);
  packet fresh;
  const char* what = compare(decode_into(in, fresh, v, o), want, fresh);
  fuzz::expect(what == nullptr, what ? what : "", whole);
  packet exact;
  what = compare(detail::decode_exact(in.data(), in.size(), exact, v, o), want, exact);
  fuzz::expect(what == nullptr, "the exact form and decode() disagree", whole);
  if (in.empty()) return;
  const unsigned type = static_cast<unsigned char>(in[0]) >> 4;
  if (type == 0 || type == 15) return;
  std::size_t index = type - 1;
  // Every struct type: the packet's own must agree, any other must be unexpected_packet_type.
  const auto each = [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using P = std::variant_alternative_t<I, packet>;
          P typed = sentinel<P>();
          const P before = typed;
          const decode_result r = decode_into(in, typed, v, o);
          if (I != index) {
            fuzz::expect(r == decode_result{errc::unexpected_packet_type, 0} && typed == before,
                         "a typed decoder of another type did not refuse", whole);
            return;
          }
          fuzz::expect(compare(r, want, packet(typed)) == nullptr,
                       "the typed decoder and decode() disagree", whole);
          if (!r) fuzz::expect(typed == before, "a failed typed decode changed its struct", whole);
          packet reused{std::in_place_type<P>, sentinel<P>()};
          const packet reused_before = reused;
          fuzz::expect(compare(decode_into(in, reused, v, o), want, reused) == nullptr,
                       "decode_into a packet of the same type disagrees", whole);
          if (!want) fuzz::expect(reused == reused_before, "a failed decode changed its packet", whole);
        }(),
        ...);
  };
  each(std::make_index_sequence<std::variant_size_v<packet>>{});
}

void run(std::string_view whole, protocol_version v) {
  std::size_t pos = 0;
  // A few packets back to back exercise the "size" result; the limit bounds the work per input.
  for (int count = 0; count < 64 && pos < whole.size(); ++count) {
    const std::string_view rest = whole.substr(pos);
    const bytes_view in(rest.data(), rest.size());
    const auto lenient = decode(in, v, options{});
    const auto strict = decode(in, v, options::strictest());
    check_entry_points(whole, in, v, options{});
    check_entry_points(whole, in, v, options::strictest());
    check_entry_points(whole, in, v,
                       fuzz::options_from(whole.empty() ? 0 : static_cast<std::uint8_t>(whole.back())));
    if (strict) {
      fuzz::expect(lenient.has_value(), "strictest accepts what the defaults reject", whole);
      fuzz::expect(strict->size == lenient->size && strict->pkt == lenient->pkt,
                   "strictest and default decode the same bytes differently", whole);
    }
    for (const auto* r : {&lenient, &strict}) {
      if (!*r) {
        const error e = r->error();
        fuzz::expect(e.offset <= rest.size(), "error offset past the end of the input", whole);
        if (e.code == errc::incomplete) {
          fuzz::expect(e.offset == rest.size(), "incomplete does not point at the end", whole);
        }
      }
    }
    if (!lenient) break;
    const std::size_t size = lenient->size;
    const auto h = peek_header(in, v);
    fuzz::expect(h && h->size() == size && size >= 2 && size <= rest.size(),
                 "decoded size disagrees with peek_header", whole);
    // Every proper prefix must ask for more bytes (spot-check the fixed header and the last byte).
    for (const std::size_t cut : {std::size_t{1}, std::size_t{h->header_size}, size - 1}) {
      if (cut >= size) continue;
      const auto part = decode(in.first(cut), v, options{});
      fuzz::expect(part.code() == errc::incomplete, "a prefix of a packet is not incomplete", whole);
    }
    const std::string_view wire = rest.substr(0, size);
    check_round_trip(whole, wire, lenient->pkt, v, options{});
    if (strict) check_round_trip(whole, wire, strict->pkt, v, options::strictest());
    pos += size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  run(whole, protocol_version::v3_1_1);
  run(whole, protocol_version::v3_1);
  return 0;
}
