// SPDX-License-Identifier: MIT
// Owning packets (owned<P>, owned_packet): every vector through from_wire and copy_of, copies and
// moves that keep the views inside the owned bytes, and the exact bytes of every patch.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mqttwire_test {
namespace {

std::string str(bytes_view b) { return std::string(b.data(), b.size()); }

// Every view a packet holds (string fields, list bytes and list elements).
std::vector<std::string_view> views_of(const packet& pkt) {
  std::vector<std::string_view> out;
  std::visit(
      [&](const auto& p) {
        using P = std::remove_cvref_t<decltype(p)>;
        if constexpr (std::same_as<P, connect>) {
          out.push_back(p.client_id);
          if (p.will) {
            out.push_back(p.will->topic);
            out.push_back(p.will->payload);
          }
          if (p.username) out.push_back(*p.username);
          if (p.password) out.push_back(*p.password);
        } else if constexpr (std::same_as<P, publish>) {
          out.push_back(p.topic);
          out.push_back(p.payload);
        } else if constexpr (std::same_as<P, subscribe>) {
          out.push_back(p.subscriptions.wire_bytes());
          for (const subscription s : p.subscriptions) out.push_back(s.topic_filter);
        } else if constexpr (std::same_as<P, suback>) {
          out.push_back(p.return_codes.wire_bytes());
        } else if constexpr (std::same_as<P, unsubscribe>) {
          out.push_back(p.topic_filters.wire_bytes());
          for (const std::string_view f : p.topic_filters) out.push_back(f);
        }
      },
      pkt);
  return out;
}

bool lists_are_wire_views(const packet& pkt) {
  if (const auto* s = std::get_if<subscribe>(&pkt)) return s->subscriptions.is_wire_view();
  if (const auto* s = std::get_if<suback>(&pkt)) return s->return_codes.is_wire_view();
  if (const auto* u = std::get_if<unsubscribe>(&pkt)) return u->topic_filters.is_wire_view();
  return true;
}

// True when every view of `pkt` lies inside `wire` (std::less_equal: a total order on pointers).
bool views_inside(const packet& pkt, bytes_view wire) {
  const std::less_equal<const char*> le;
  for (const std::string_view s : views_of(pkt)) {
    if (!le(wire.data(), s.data()) || !le(s.data() + s.size(), wire.data() + wire.size())) {
      return false;
    }
  }
  return lists_are_wire_views(pkt);
}
template <packet_struct P>
bool views_inside(const owned<P>& o) {
  return views_inside(packet(o.view()), o.wire());
}
bool views_inside(const owned_packet& o) { return views_inside(o.view(), o.wire()); }

// A packet type other than P, for the wrong-type checks.
template <packet_struct P>
using other_type = std::conditional_t<std::same_as<P, pingreq>, pingresp, pingreq>;

struct tally {
  std::size_t rows = 0, copied = 0, refused = 0;
};

template <packet_struct P>
void check_typed(const vector_row& row, protocol_version v, const P& decoded, tally& t) {
  const auto o = owned<P>::from_wire(bytes_view(row.wire), v, row.opts);
  REQUIRE(o);
  CHECK(o->view() == decoded);
  CHECK(*o == decoded);
  CHECK(decoded == *o);
  CHECK(str(o->wire()) == row.wire);  // kept as it came, canonical or not
  CHECK(o->wire().data() != row.wire.data());
  CHECK(o->size() == row.wire.size());
  CHECK(o->version() == v);
  CHECK_FALSE(o->empty());
  CHECK(views_inside(*o));

  const errc valid = validate(decoded, v, row.opts);
  const auto c = owned<P>::copy_of(decoded, v, row.opts);
  if (valid != errc::success) {
    REQUIRE_FALSE(c);
    CHECK(c.error() == error{valid, 0});
    ++t.refused;
  } else {
    REQUIRE(c);
    CHECK(*c == decoded);
    CHECK(*c == *o);
    CHECK(c->version() == v);
    CHECK(views_inside(*c));
    if (row.canonical) {
      CHECK(str(c->wire()) == row.wire);
    } else {
      CHECK(str(c->wire()) == encode_both(decoded, v, row.opts).bytes);
    }
    // owned -> view -> copy_of: the same packet and, from canonical bytes, the same bytes.
    const auto again = owned<P>::copy_of(c->view(), v, row.opts);
    REQUIRE(again);
    CHECK(*again == *c);
    CHECK(str(again->wire()) == str(c->wire()));
    CHECK(again->wire().data() != c->wire().data());
    const auto from_kept = owned<P>::copy_of(o->view(), v, row.opts);
    REQUIRE(from_kept);
    CHECK(*from_kept == *o);
    ++t.copied;
  }

  // Exactly one packet, of type P.
  using Q = other_type<P>;
  CHECK(owned<Q>::from_wire(bytes_view(row.wire), v, row.opts).error() ==
        error{errc::unexpected_packet_type, 0});
  const std::string longer = std::string(row.wire) + '\xc0';
  CHECK(owned<P>::from_wire(bytes_view(longer), v, row.opts).error() ==
        error{errc::trailing_bytes, row.wire.size()});
}

void check_any(const vector_row& row, protocol_version v, const packet& decoded, tally& t) {
  const auto o = owned_packet::from_wire(bytes_view(row.wire), v, row.opts);
  REQUIRE(o);
  CHECK(o->view() == decoded);
  CHECK(*o == decoded);
  CHECK(decoded == *o);
  CHECK(o->type() == type_of(decoded));
  CHECK(str(o->wire()) == row.wire);
  CHECK(o->version() == v);
  CHECK(views_inside(*o));

  const errc valid = validate(decoded, v, row.opts);
  const auto c = owned_packet::copy_of(decoded, v, row.opts);
  if (valid != errc::success) {
    REQUIRE_FALSE(c);
    CHECK(c.error() == error{valid, 0});
    ++t.refused;
  } else {
    REQUIRE(c);
    CHECK(*c == decoded);
    CHECK(*c == *o);
    CHECK(views_inside(*c));
    if (row.canonical) CHECK(str(c->wire()) == row.wire);
    const auto again = owned_packet::copy_of(c->view(), v, row.opts);
    REQUIRE(again);
    CHECK(*again == *c);
    CHECK(str(again->wire()) == str(c->wire()));
    ++t.copied;
  }

  // The typed form, copied and taken, is the same packet over the same bytes.
  std::visit(
      [&](const auto& p) {
        using P = std::remove_cvref_t<decltype(p)>;
        const auto typed = o->template as<P>();
        REQUIRE(typed);
        CHECK(*typed == p);
        CHECK(str(typed->wire()) == row.wire);
        CHECK(typed->wire().data() != o->wire().data());
        CHECK(views_inside(*typed));
        CHECK(o->template as<other_type<P>>().error() == error{errc::unexpected_packet_type, 0});
        owned_packet keep = *o;
        const char* bytes = keep.wire().data();
        const auto taken = std::move(keep).template as<P>();
        REQUIRE(taken);
        CHECK(taken->wire().data() == bytes);
        CHECK(*taken == p);
        CHECK(keep.empty());
        CHECK(views_inside(*taken));
      },
      decoded);

  const std::string longer = std::string(row.wire) + '\xc0';
  CHECK(owned_packet::from_wire(bytes_view(longer), v, row.opts).error() ==
        error{errc::trailing_bytes, row.wire.size()});
  ++t.rows;
}

template <class T>
concept has_set_dup = requires(T& o) { o.set_dup(true); };
template <class T>
concept has_set_packet_id = requires(T& o) { o.set_packet_id(std::uint16_t{1}); };
template <class T>
concept has_set_retain = requires(T& o) { o.set_retain(true); };

// Which patches each type offers: DUP where the wire has the flag, the id where there is one.
template <packet_struct P, bool Dup, bool Id, bool Retain>
constexpr bool offers() {
  return has_set_dup<owned<P>> == Dup && has_set_packet_id<owned<P>> == Id &&
         has_set_retain<owned<P>> == Retain;
}
static_assert(offers<connect, false, false, false>());
static_assert(offers<connack, false, false, false>());
static_assert(offers<publish, true, true, true>());
static_assert(offers<puback, false, true, false>());
static_assert(offers<pubrec, false, true, false>());
static_assert(offers<pubrel, true, true, false>());
static_assert(offers<pubcomp, false, true, false>());
static_assert(offers<subscribe, true, true, false>());
static_assert(offers<suback, false, true, false>());
static_assert(offers<unsubscribe, true, true, false>());
static_assert(offers<unsuback, false, true, false>());
static_assert(offers<pingreq, false, false, false>());
static_assert(offers<pingresp, false, false, false>());
static_assert(offers<disconnect, false, false, false>());
static_assert(has_set_dup<owned_packet> && has_set_packet_id<owned_packet> &&
              has_set_retain<owned_packet>);

static_assert(std::is_nothrow_move_constructible_v<owned<publish>>);
static_assert(std::is_nothrow_move_assignable_v<owned<publish>>);
static_assert(std::is_nothrow_move_constructible_v<owned_packet>);
static_assert(std::is_nothrow_move_assignable_v<owned_packet>);
static_assert(std::is_nothrow_default_constructible_v<owned<connect>>);
static_assert(!std::is_nothrow_copy_constructible_v<owned<connect>>);  // allocates
static_assert(std::is_convertible_v<owned<publish>&&, owned_packet>);
static_assert(!std::is_convertible_v<const owned<publish>&, owned_packet>);  // no hidden copy

}  // namespace

TEST_CASE("owned: every vector that decodes, through from_wire and copy_of, in each version") {
  tally t;
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      const auto d = decode(bytes_view(row.wire), v, row.opts);
      if (!d) continue;
      INFO(row_title(row, v));
      std::visit([&](const auto& p) { check_typed(row, v, p, t); }, d->pkt);
      check_any(row, v, d->pkt, t);
    }
  }
  CHECK(t.rows > 100);
  CHECK(t.copied + t.refused == 2 * t.rows);  // each row once as owned<P>, once as owned_packet
  CHECK(t.refused >= 2 * 5);  // e.g. DUP on QoS 0: decoded (tolerated), never encoded
}

TEST_CASE("owned: decode errors reach the caller of from_wire unchanged") {
  std::size_t checked = 0;
  for (const vector_row& row : vectors) {
    if (row.expected.index() != 1) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row_title(row, v));
      const error want = std::get<1>(row.expected);
      CHECK(owned_packet::from_wire(bytes_view(row.wire), v, row.opts).error() == want);
      CHECK(owned<publish>::from_wire(bytes_view(row.wire), v, row.opts).error() == want);
      CHECK(owned<connect>::from_wire(bytes_view(row.wire), v, row.opts).error() == want);
      ++checked;
    }
  }
  CHECK(checked > 100);
  // A prefix of a packet is incomplete, at its end.
  CHECK(owned<puback>::from_wire(bytes_view("\x40\x02\x00"sv)).error() ==
        error{errc::incomplete, 3});
  CHECK(owned_packet::from_wire(bytes_view{}).error() == error{errc::incomplete, 0});
}

TEST_CASE("owned: copy_of refuses exactly what validate refuses, at offset 0") {
  CHECK(owned<publish>::copy_of(publish{.topic = "a/+"}).error() ==
        error{errc::wildcard_in_topic_name, 0});
  CHECK(owned<publish>::copy_of(publish{.qos = q1, .topic = "a"}).error() ==
        error{errc::missing_packet_id, 0});
  CHECK(owned<publish>::copy_of(publish{.dup = true, .topic = "a"}).error() ==
        error{errc::dup_with_qos0, 0});
  CHECK(owned<pubrel>::copy_of(pubrel{.packet_id = 1, .dup = true}).error() ==
        error{errc::dup_not_allowed, 0});
  CHECK(owned<pubrel>::copy_of(pubrel{.packet_id = 1, .dup = true}, v31));
  CHECK(owned<subscribe>::copy_of(subscribe{.packet_id = 1}, v31).error() ==
        error{errc::empty_subscription_list, 0});
  CHECK(owned<connack>::copy_of(connack{.session_present = true}, v31).error() ==
        error{errc::session_present_in_3_1, 0});
  CHECK(owned<connect>::copy_of(connect{.client_id = "\x01"}, v311, strict_chars).error() ==
        error{errc::control_character, 0});
  CHECK(owned<puback>::copy_of(puback{}).error() == error{errc::packet_id_zero, 0});
  CHECK(owned_packet::copy_of(unsubscribe{.packet_id = 2}).error() ==
        error{errc::empty_unsubscribe_list, 0});
  CHECK(owned_packet::copy_of(suback{.packet_id = 2, .return_codes = codes_0_2_80}, v31).error() ==
        error{errc::invalid_suback_return_code, 0});
  const std::string long_topic(32'768, 't');
  CHECK(owned<publish>::copy_of(publish{.topic = long_topic}, v31, strict_31).error() ==
        error{errc::topic_too_long, 0});
  CHECK(owned<publish>::copy_of(publish{.topic = long_topic}, v31));
}

TEST_CASE("owned: copy_of owns its data: the caller's strings and lists may go away") {
  std::string topic = "sensors/1/temp", payload = "21.5";
  std::vector<subscription> subs = {{"a/+", q1}, {"b/#", q2}};
  const auto pub =
      owned<publish>::copy_of(publish{.qos = q1, .topic = topic, .packet_id = 7,
                                      .payload = payload});
  const auto sub = owned<subscribe>::copy_of(subscribe{.packet_id = 9, .subscriptions = subs});
  REQUIRE(pub);
  REQUIRE(sub);
  topic.assign(topic.size(), 'x');
  payload.assign(payload.size(), 'y');
  subs = {{"zz", q0}};
  CHECK(pub->view().topic == "sensors/1/temp");
  CHECK(pub->view().payload == "21.5");
  CHECK(str(pub->wire()) == "\x32\x16" "\x00\x0e" "sensors/1/temp" "\x00\x07" "21.5"sv);
  const subscription want[] = {{"a/+", q1}, {"b/#", q2}};
  CHECK(sub->view() == subscribe{.packet_id = 9, .subscriptions = want});
  CHECK(sub->view().subscriptions.is_wire_view());
  CHECK(str(sub->wire()) == "\x82\x0e" "\x00\x09"        // SUBSCRIBE, id 9
                            "\x00\x03" "a/+" "\x01"     // filter, QoS 1
                            "\x00\x03" "b/#" "\x02"sv);  // filter, QoS 2
  CHECK(views_inside(*pub));
  CHECK(views_inside(*sub));
}

TEST_CASE("owned: the version is the one given, for CONNECT too") {
  const auto c = owned<connect>::copy_of(connect_a_31, v311);
  REQUIRE(c);
  CHECK(c->version() == v311);
  CHECK(c->view().protocol == v31);
  CHECK(str(c->wire()).substr(2, 8) == "\x00\x06" "MQIsdp"sv);
  const auto ping = owned_packet::from_wire(bytes_view("\xc0\x00"sv), v31);
  REQUIRE(ping);
  CHECK(ping->version() == v31);
  CHECK(ping->type() == packet_type::pingreq);
}

TEST_CASE("owned: copies own new bytes, moves keep the same bytes, views stay inside") {
  const auto made = owned<connect>::copy_of(connect_b);
  REQUIRE(made);
  const owned<connect>& a = *made;
  const char* bytes = a.wire().data();

  owned<connect> copy(a);
  CHECK(copy == a);
  CHECK(copy == connect_b);
  CHECK(copy.wire().data() != bytes);
  CHECK(str(copy.wire()) == str(a.wire()));
  CHECK(views_inside(copy));
  CHECK(views_inside(a));  // the original is untouched

  owned<connect> moved(std::move(copy));
  const char* copy_bytes = moved.wire().data();
  CHECK(moved == connect_b);
  CHECK(views_inside(moved));
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(copy.size() == 0);
  CHECK(copy.wire().empty());
  CHECK(copy.view() == connect{});
  CHECK_FALSE(copy == connect{});
  CHECK_FALSE(copy == moved);

  owned<connect> assigned;
  assigned = a;  // copy assignment
  CHECK(assigned == a);
  CHECK(assigned.wire().data() != bytes);
  CHECK(views_inside(assigned));
  assigned = std::move(moved);  // move assignment: takes the block
  CHECK(assigned.wire().data() == copy_bytes);
  CHECK(assigned == connect_b);
  CHECK(views_inside(assigned));
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
  const owned<connect>& self = assigned;
  assigned = self;  // self-assignment keeps the packet
  CHECK(assigned == connect_b);
  CHECK(views_inside(assigned));

  // A growing vector moves its elements: every view still points into its own element's bytes.
  std::vector<owned<publish>> queue;
  std::vector<const char*> blocks;
  for (std::uint16_t id = 1; id <= 100; ++id) {
    const std::string topic = "t/" + std::to_string(id);
    auto p = owned<publish>::copy_of(publish{.qos = q1, .topic = topic, .packet_id = id});
    REQUIRE(p);
    blocks.push_back(p->wire().data());
    queue.push_back(std::move(*p));
  }
  for (std::size_t i = 0; i < queue.size(); ++i) {
    CHECK(queue[i].wire().data() == blocks[i]);
    CHECK(views_inside(queue[i]));
    CHECK(queue[i].view().topic == "t/" + std::to_string(i + 1));
  }
}

TEST_CASE("owned: owned_packet copies, moves and takes an owned<P> without a copy") {
  auto typed = owned<publish>::copy_of(publish{.qos = q2, .topic = "a/b", .packet_id = 3});
  REQUIRE(typed);
  const char* bytes = typed->wire().data();
  owned_packet any = std::move(*typed);
  CHECK(typed->empty());
  CHECK(any.wire().data() == bytes);
  CHECK(any.type() == packet_type::publish);
  CHECK(any == publish{.qos = q2, .topic = "a/b", .packet_id = 3});
  CHECK(views_inside(any));

  owned_packet copy = any;
  CHECK(copy == any);
  CHECK(copy.wire().data() != bytes);
  CHECK(views_inside(copy));
  owned_packet moved = std::move(copy);
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(views_inside(moved));

  // A failed take leaves the object as it was.
  auto wrong = std::move(moved).as<pubrel>();
  CHECK(wrong.error() == error{errc::unexpected_packet_type, 0});
  CHECK(moved == any);  // NOLINT(bugprone-use-after-move)

  std::vector<owned_packet> queue;
  for (std::uint16_t id = 1; id <= 50; ++id) {
    auto p = id % 2 ? owned_packet::copy_of(publish{.qos = q1, .topic = "q", .packet_id = id})
                    : owned_packet::copy_of(pubrel{.packet_id = id});
    REQUIRE(p);
    queue.push_back(std::move(*p));
  }
  for (std::size_t i = 0; i < queue.size(); ++i) {
    CHECK(queue[i].type() == (i % 2 == 0 ? packet_type::publish : packet_type::pubrel));
    CHECK(views_inside(queue[i]));
  }
}

TEST_CASE("owned: the empty state") {
  const owned<publish> e;
  CHECK(e.empty());
  CHECK(e.size() == 0);
  CHECK(e.wire().empty());
  CHECK(e.view() == publish{});
  CHECK(e.version() == v311);
  CHECK(e == owned<publish>{});
  CHECK_FALSE(e == publish{});
  owned<publish> p;
  CHECK(p.set_dup(false) == errc::unexpected_packet_type);
  CHECK(p.set_retain(true) == errc::unexpected_packet_type);
  CHECK(p.set_packet_id(1) == errc::unexpected_packet_type);
  CHECK(p.empty());
  owned<puback> ack;
  CHECK(ack.set_packet_id(1) == errc::unexpected_packet_type);
  CHECK(ack.view() == puback{});

  owned_packet any;
  CHECK(any.empty());
  CHECK(any.wire().empty());
  CHECK(any.view() == packet{});
  CHECK(any == owned_packet{});
  CHECK_FALSE(any == packet{});
  CHECK(any.as<connect>().error() == error{errc::unexpected_packet_type, 0});
  CHECK(owned_packet{}.as<connect>().error() == error{errc::unexpected_packet_type, 0});
  CHECK(any.set_dup(false) == errc::unexpected_packet_type);
  CHECK(any.set_packet_id(1) == errc::unexpected_packet_type);
  CHECK(any.set_retain(false) == errc::unexpected_packet_type);
  const auto from_empty = owned<publish>::copy_of(e.view());
  CHECK(from_empty.error() == error{errc::empty_topic_name, 0});
}

TEST_CASE("owned: equality compares packets, not bytes") {
  // A non-minimal Remaining Length (80 00 for 0) is tolerated; the packet is the same.
  const auto long_form = owned<pingreq>::from_wire(bytes_view("\xc0\x80\x00"sv));
  const auto short_form = owned<pingreq>::copy_of(pingreq{});
  REQUIRE(long_form);
  REQUIRE(short_form);
  CHECK(*long_form == *short_form);
  CHECK(str(long_form->wire()) == "\xc0\x80\x00"sv);
  CHECK(str(short_form->wire()) == "\xc0\x00"sv);
  const auto a = owned<publish>::copy_of(publish{.topic = "a", .payload = "1"});
  const auto b = owned<publish>::copy_of(publish{.topic = "a", .payload = "2"});
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(*a == *b);
  CHECK(*a != *b);
  CHECK(*a != publish{.topic = "a"});
  CHECK(publish{.topic = "a", .payload = "1"} == *a);
}

TEST_CASE("owned: set_dup, set_retain and set_packet_id of a PUBLISH change one or two bytes") {
  auto made = owned<publish>::copy_of(
      publish{.qos = q1, .topic = "a/b", .packet_id = 10, .payload = "hi"});
  REQUIRE(made);
  owned<publish>& p = *made;
  const auto base = "\x32\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"sv;
  REQUIRE(str(p.wire()) == base);
  const char* bytes = p.wire().data();

  CHECK(p.set_dup(true) == errc::success);
  CHECK(str(p.wire()) == "\x3a\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"sv);
  CHECK(p.view().dup);
  CHECK(p.set_retain(true) == errc::success);
  CHECK(str(p.wire()) == "\x3b\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"sv);
  CHECK(p.view().retain);
  CHECK(p.set_packet_id(0x1234) == errc::success);
  CHECK(str(p.wire()) == "\x3b\x09" "\x00\x03" "a/b" "\x12\x34" "hi"sv);
  CHECK(p.view().packet_id == std::optional<std::uint16_t>(0x1234));
  CHECK(p.wire().data() == bytes);  // in place
  // The bytes and the view still agree.
  const auto again = decode(p.wire());
  REQUIRE(again);
  CHECK(std::get<publish>(again->pkt) == p.view());

  CHECK(p.set_dup(false) == errc::success);
  CHECK(p.set_retain(false) == errc::success);
  CHECK(p.set_packet_id(10) == errc::success);
  CHECK(str(p.wire()) == base);
  CHECK(p == publish{.qos = q1, .topic = "a/b", .packet_id = 10, .payload = "hi"});

  // Refusals change nothing.
  CHECK(p.set_packet_id(0) == errc::packet_id_zero);
  CHECK(str(p.wire()) == base);
  CHECK(p.view().packet_id == std::optional<std::uint16_t>(10));

  // QoS 2 with a two-byte Remaining Length, as received (non-minimal: 89 00 for 9).
  auto wide =
      owned<publish>::from_wire(bytes_view("\x34\x89\x00" "\x00\x03" "a/b" "\x00\x0a" "hi"sv));
  REQUIRE(wide);
  CHECK(wide->set_packet_id(0xfffe) == errc::success);
  CHECK(wide->set_dup(true) == errc::success);
  CHECK(str(wide->wire()) == "\x3c\x89\x00" "\x00\x03" "a/b" "\xff\xfe" "hi"sv);
  CHECK(*wide == publish{.dup = true, .qos = q2, .topic = "a/b", .packet_id = 0xfffe,
                         .payload = "hi"});
}

TEST_CASE("owned: a QoS 0 PUBLISH refuses DUP and packet ids, and can clear a tolerated DUP") {
  auto made = owned<publish>::copy_of(publish{.retain = true, .topic = "a/b", .payload = "x"});
  REQUIRE(made);
  owned<publish>& p = *made;
  const auto base = "\x31\x06" "\x00\x03" "a/b" "x"sv;
  REQUIRE(str(p.wire()) == base);
  CHECK(p.set_dup(true) == errc::dup_with_qos0);
  CHECK(p.set_packet_id(5) == errc::packet_id_with_qos0);
  CHECK(p.set_packet_id(0) == errc::packet_id_with_qos0);
  CHECK(str(p.wire()) == base);
  CHECK_FALSE(p.view().dup);
  CHECK(p.view().packet_id == std::nullopt);
  CHECK(p.set_dup(false) == errc::success);
  CHECK(str(p.wire()) == base);
  CHECK(p.set_retain(false) == errc::success);  // forwarding to an existing subscriber
  CHECK(str(p.wire()) == "\x30\x06" "\x00\x03" "a/b" "x"sv);
  CHECK_FALSE(p.view().retain);

  // DUP on QoS 0 is refused by default but can be tolerated (an inspector keeps what it saw);
  // clearing it is allowed.
  CHECK(owned<publish>::from_wire(bytes_view("\x38\x05" "\x00\x03" "a/b"sv)).error() ==
        error{errc::dup_with_qos0, 0});
  auto tolerated = owned<publish>::from_wire(bytes_view("\x38\x05" "\x00\x03" "a/b"sv), v311,
                                             options::tolerant());
  REQUIRE(tolerated);
  CHECK(tolerated->view().dup);
  CHECK(tolerated->set_dup(false) == errc::success);
  CHECK(str(tolerated->wire()) == "\x30\x05" "\x00\x03" "a/b"sv);
  CHECK_FALSE(tolerated->view().dup);
}

TEST_CASE("owned: DUP on PUBREL, SUBSCRIBE and UNSUBSCRIBE in MQTT 3.1 only") {
  auto rel = owned<pubrel>::copy_of(pubrel{.packet_id = 3}, v31);
  auto sub = owned<subscribe>::copy_of(subscribe{.packet_id = 5, .subscriptions = subs_a1}, v31);
  auto unsub =
      owned<unsubscribe>::copy_of(unsubscribe{.packet_id = 7, .topic_filters = filters_a}, v31);
  REQUIRE(rel);
  REQUIRE(sub);
  REQUIRE(unsub);
  CHECK(rel->set_dup(true) == errc::success);
  CHECK(sub->set_dup(true) == errc::success);
  CHECK(unsub->set_dup(true) == errc::success);
  CHECK(str(rel->wire()) == "\x6a\x02" "\x00\x03"sv);
  CHECK(str(sub->wire()) == "\x8a\x06" "\x00\x05" "\x00\x01" "a" "\x01"sv);
  CHECK(str(unsub->wire()) == "\xaa\x05" "\x00\x07" "\x00\x01" "a"sv);
  CHECK(*rel == pubrel{.packet_id = 3, .dup = true});
  CHECK(*sub == subscribe{.packet_id = 5, .dup = true, .subscriptions = subs_a1});
  CHECK(*unsub == unsubscribe{.packet_id = 7, .dup = true, .topic_filters = filters_a});
  // What a strict 3.1 receiver reads is what the view says.
  for (const owned_packet& o :
       {owned_packet(owned<pubrel>(*rel)), owned_packet(owned<subscribe>(*sub)),
        owned_packet(owned<unsubscribe>(*unsub))}) {
    const auto d = decode(o.wire(), v31, strict_31);
    REQUIRE(d);
    CHECK(d->pkt == o.view());
  }
  CHECK(rel->set_dup(false) == errc::success);
  CHECK(sub->set_dup(false) == errc::success);
  CHECK(unsub->set_dup(false) == errc::success);
  CHECK(str(rel->wire()) == "\x62\x02" "\x00\x03"sv);
  CHECK(str(sub->wire()) == "\x82\x06" "\x00\x05" "\x00\x01" "a" "\x01"sv);
  CHECK(str(unsub->wire()) == "\xa2\x05" "\x00\x07" "\x00\x01" "a"sv);
  CHECK_FALSE(rel->view().dup);

  // 3.1.1 fixes the flags at 0010 ([MQTT-2.2.2-1]): DUP is refused; clearing it changes nothing.
  auto rel4 = owned<pubrel>::copy_of(pubrel{.packet_id = 3});
  auto sub4 = owned<subscribe>::copy_of(subscribe{.packet_id = 5, .subscriptions = subs_a1});
  auto unsub4 =
      owned<unsubscribe>::copy_of(unsubscribe{.packet_id = 7, .topic_filters = filters_a});
  REQUIRE(rel4);
  REQUIRE(sub4);
  REQUIRE(unsub4);
  CHECK(rel4->set_dup(true) == errc::dup_not_allowed);
  CHECK(sub4->set_dup(true) == errc::dup_not_allowed);
  CHECK(unsub4->set_dup(true) == errc::dup_not_allowed);
  CHECK(rel4->set_dup(false) == errc::success);
  CHECK(str(rel4->wire()) == "\x62\x02" "\x00\x03"sv);
  CHECK(str(sub4->wire()) == "\x82\x06" "\x00\x05" "\x00\x01" "a" "\x01"sv);
  CHECK(str(unsub4->wire()) == "\xa2\x05" "\x00\x07" "\x00\x01" "a"sv);
  CHECK_FALSE(rel4->view().dup);
  CHECK_FALSE(sub4->view().dup);
  CHECK_FALSE(unsub4->view().dup);

  // A tolerated 3.1 PUBREL with flags 0000 gets bit 3 alone.
  auto loose = owned<pubrel>::from_wire(bytes_view("\x60\x02\x00\x01"sv), v31);
  REQUIRE(loose);
  CHECK(loose->set_dup(true) == errc::success);
  CHECK(str(loose->wire()) == "\x68\x02\x00\x01"sv);
  CHECK(loose->view().dup);
}

TEST_CASE("owned: set_packet_id of every packet with an id writes the two id bytes") {
  const auto check_id = [](auto made, std::string_view after) {
    REQUIRE(made);
    auto& o = *made;
    const std::string before = str(o.wire());
    CHECK(o.set_packet_id(0) == errc::packet_id_zero);
    CHECK(str(o.wire()) == before);
    CHECK(o.set_packet_id(0xabcd) == errc::success);
    CHECK(str(o.wire()) == after);
    CHECK(o.view().packet_id == 0xabcd);
    const auto d = decode(o.wire(), o.version());
    REQUIRE(d);
    CHECK(d->pkt == packet(o.view()));
  };
  check_id(owned<puback>::copy_of(puback{.packet_id = 1}), "\x40\x02\xab\xcd"sv);
  check_id(owned<pubrec>::copy_of(pubrec{.packet_id = 1}), "\x50\x02\xab\xcd"sv);
  check_id(owned<pubrel>::copy_of(pubrel{.packet_id = 1}), "\x62\x02\xab\xcd"sv);
  check_id(owned<pubrel>::copy_of(pubrel{.packet_id = 1, .dup = true}, v31), "\x6a\x02\xab\xcd"sv);
  check_id(owned<pubcomp>::copy_of(pubcomp{.packet_id = 1}), "\x70\x02\xab\xcd"sv);
  check_id(owned<unsuback>::copy_of(unsuback{.packet_id = 1}), "\xb0\x02\xab\xcd"sv);
  check_id(owned<subscribe>::copy_of(subscribe{.packet_id = 1, .subscriptions = subs_a1}),
           "\x82\x06" "\xab\xcd" "\x00\x01" "a" "\x01"sv);
  check_id(owned<suback>::copy_of(suback{.packet_id = 1, .return_codes = codes_1_2}),
           "\x90\x04" "\xab\xcd" "\x01\x02"sv);
  check_id(owned<unsubscribe>::copy_of(unsubscribe{.packet_id = 1, .topic_filters = filters_a}),
           "\xa2\x05" "\xab\xcd" "\x00\x01" "a"sv);
  check_id(owned<publish>::copy_of(publish{.qos = q2, .topic = "t", .packet_id = 1}),
           "\x34\x05" "\x00\x01" "t" "\xab\xcd"sv);
  // A Remaining Length in three bytes (non-minimal, 3.1 tolerant): the id is found behind it.
  check_id(owned<pubrel>::from_wire(bytes_view("\x62\x82\x80\x00\x00\x01"sv)),
           "\x62\x82\x80\x00\xab\xcd"sv);
  // A long SUBSCRIBE: two length bytes.
  const std::string filter(200, 'f');
  const subscription big[] = {{filter, q0}};
  auto sub = owned<subscribe>::copy_of(subscribe{.packet_id = 1, .subscriptions = big});
  REQUIRE(sub);
  CHECK(sub->set_packet_id(0x0102) == errc::success);
  CHECK(str(sub->wire()).substr(0, 5) == "\x82\xcd\x01\x01\x02"sv);
  CHECK(sub->view().subscriptions == std::span<const subscription>(big));
}

TEST_CASE("owned: owned_packet patches by type, and refuses the types without the field") {
  std::vector<owned_packet> queue;
  for (const packet& p : {packet(publish{.qos = q1, .topic = "a", .packet_id = 1}),
                          packet(pubrel{.packet_id = 2}), packet(puback{.packet_id = 3})}) {
    auto o = owned_packet::copy_of(p, v31);
    REQUIRE(o);
    queue.push_back(std::move(*o));
  }
  CHECK(queue[0].set_dup(true) == errc::success);
  CHECK(queue[1].set_dup(true) == errc::success);
  CHECK(queue[2].set_dup(true) == errc::unexpected_packet_type);
  CHECK(str(queue[0].wire()) == "\x3a\x05" "\x00\x01" "a" "\x00\x01"sv);
  CHECK(str(queue[1].wire()) == "\x6a\x02\x00\x02"sv);
  CHECK(str(queue[2].wire()) == "\x40\x02\x00\x03"sv);
  CHECK(queue[0] == publish{.dup = true, .qos = q1, .topic = "a", .packet_id = 1});
  CHECK(queue[1] == pubrel{.packet_id = 2, .dup = true});
  CHECK(queue[0].set_retain(true) == errc::success);
  CHECK(queue[1].set_retain(true) == errc::unexpected_packet_type);
  CHECK(str(queue[0].wire()) == "\x3b\x05" "\x00\x01" "a" "\x00\x01"sv);
  CHECK(queue[2].set_packet_id(0x0909) == errc::success);
  CHECK(str(queue[2].wire()) == "\x40\x02\x09\x09"sv);
  CHECK(queue[2].set_packet_id(0) == errc::packet_id_zero);
  CHECK(queue[1].set_packet_id(7) == errc::success);
  CHECK(queue[1] == pubrel{.packet_id = 7, .dup = true});

  auto pub0 = owned_packet::copy_of(publish{.topic = "a"});
  REQUIRE(pub0);
  CHECK(pub0->set_dup(true) == errc::dup_with_qos0);
  CHECK(pub0->set_packet_id(1) == errc::packet_id_with_qos0);
  auto rel4 = owned_packet::copy_of(pubrel{.packet_id = 2});
  REQUIRE(rel4);
  CHECK(rel4->set_dup(true) == errc::dup_not_allowed);
  CHECK(str(rel4->wire()) == "\x62\x02\x00\x02"sv);

  for (const packet& p : {packet(connect_a), packet(connack{}), packet(pingreq{}),
                          packet(pingresp{}), packet(disconnect{})}) {
    auto o = owned_packet::copy_of(p);
    REQUIRE(o);
    const std::string before = str(o->wire());
    CHECK(o->set_dup(true) == errc::unexpected_packet_type);
    CHECK(o->set_packet_id(1) == errc::unexpected_packet_type);
    CHECK(o->set_retain(true) == errc::unexpected_packet_type);
    CHECK(str(o->wire()) == before);
    CHECK(*o == p);
  }
  // The typed form carries the patches over.
  const auto typed = queue[0].as<publish>();
  REQUIRE(typed);
  CHECK(typed->view().dup);
  CHECK(str(typed->wire()) == str(queue[0].wire()));
}

TEST_CASE("owned: a patched copy leaves the original alone") {
  auto made = owned<publish>::copy_of(publish{.qos = q1, .topic = "a", .packet_id = 1});
  REQUIRE(made);
  const owned<publish> original = *made;
  owned<publish> resend = original;
  CHECK(resend.set_dup(true) == errc::success);
  CHECK(resend.set_packet_id(2) == errc::success);
  CHECK(str(original.wire()) == "\x32\x05" "\x00\x01" "a" "\x00\x01"sv);
  CHECK(str(resend.wire()) == "\x3a\x05" "\x00\x01" "a" "\x00\x02"sv);
  CHECK_FALSE(original.view().dup);
  CHECK(original != resend);
}

}  // namespace mqttwire_test
