// SPDX-License-Identifier: MIT
// mqttwire: owning packets (one heap block of wire bytes, and the view struct into it) to keep.
#ifndef MQTTWIRE_OWNED_HPP
#define MQTTWIRE_OWNED_HPP

#include "mqttwire/decode.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/encode.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

namespace mqttwire {

template <packet_struct P>
class owned;
class owned_packet;

namespace detail {

// ---- the packet types each in-place patch applies to ----

// DUP: PUBLISH (both versions, QoS > 0), and the MQTT 3.1 retransmissions (§2.4) of PUBREL,
// SUBSCRIBE and UNSUBSCRIBE.
template <class P>
concept dup_flag_packet = std::same_as<P, publish> || std::same_as<P, pubrel> ||
                          std::same_as<P, subscribe> || std::same_as<P, unsubscribe>;
// Every packet with a packet identifier field (PUBLISH has one at QoS 1 and 2 only).
template <class P>
concept packet_id_packet = packet_struct<P> && requires(P& p) { p.packet_id; };

// ---- moving a decoded view from one copy of its bytes to another ----

// Every view of a decoded packet points into the bytes it was decoded from (an empty one at its
// place there), so a copy of the bytes moves all of them by the same distance.
struct view_mover {
  const char* from;
  const char* to;
  std::string_view operator()(std::string_view s) const noexcept {
    return {to + (s.data() - from), s.size()};
  }
  // Lists in an owned packet always come from decode, so they are wire views.
  template <class T>
  wire_list<T> operator()(const wire_list<T>& list) const noexcept {
    return wire_list<T>::from_wire((*this)(list.wire_bytes()));
  }
};

inline void move_views(connect& c, view_mover m) noexcept {
  c.client_id = m(c.client_id);
  if (c.will) {
    c.will->topic = m(c.will->topic);
    c.will->payload = m(c.will->payload);
  }
  if (c.username) c.username = m(*c.username);
  if (c.password) c.password = m(*c.password);
}
inline void move_views(publish& p, view_mover m) noexcept {
  p.topic = m(p.topic);
  p.payload = m(p.payload);
}
inline void move_views(subscribe& s, view_mover m) noexcept {
  s.subscriptions = m(s.subscriptions);
}
inline void move_views(suback& s, view_mover m) noexcept { s.return_codes = m(s.return_codes); }
inline void move_views(unsubscribe& u, view_mover m) noexcept {
  u.topic_filters = m(u.topic_filters);
}
template <class P>
  requires(std::same_as<P, connack> || std::same_as<P, puback> || std::same_as<P, pubrec> ||
           std::same_as<P, pubrel> || std::same_as<P, pubcomp> || std::same_as<P, unsuback> ||
           std::same_as<P, pingreq> || std::same_as<P, pingresp> || std::same_as<P, disconnect>)
void move_views(P&, view_mover) noexcept {}  // no views
inline void move_views(packet& p, view_mover m) noexcept {
  std::visit([m](auto& alt) { move_views(alt, m); }, p);
}

// ---- a packet struct, or the variant, as the view of an owned object ----

template <class View>
bool holds(const packet& p) noexcept {
  if constexpr (std::same_as<View, packet>) {
    return true;
  } else {
    return p.index() == alternative_index<View, packet>::value;
  }
}
// Precondition: holds<To>(from).
template <class To>
To to_view(const packet& from) noexcept {
  if constexpr (std::same_as<To, packet>) {
    return from;
  } else {
    return std::get<To>(from);
  }
}
template <class To, packet_struct From>
To to_view(const From& from) noexcept {
  if constexpr (std::same_as<To, packet>) {
    return packet(std::in_place_type<From>, from);
  } else {
    static_assert(std::same_as<To, From>);
    return from;
  }
}

// ---- in-place patches: one bit or two bytes of the stored packet, and the view with them ----

inline void set_flag(char& first_byte, unsigned bit, bool on) noexcept {
  const unsigned b = u8(first_byte);
  first_byte = ch(on ? (b | bit) : (b & ~bit));
}

// Bytes of the fixed header: the type byte, then a Remaining Length of 1..4 bytes (validated).
inline std::size_t fixed_header_size(const char* bytes) noexcept {
  std::size_t n = 1;
  while ((u8(bytes[n]) & 0x80u) != 0) ++n;
  return n + 1;
}

inline errc patch_dup(char* bytes, publish& p, protocol_version, bool dup) noexcept {
  if (dup && p.qos == qos_level::at_most_once) return errc::dup_with_qos0;  // [MQTT-3.3.1-2]
  set_flag(bytes[0], 0x08u, dup);
  p.dup = dup;
  return errc::success;
}
template <class P>
  requires(std::same_as<P, pubrel> || std::same_as<P, subscribe> || std::same_as<P, unsubscribe>)
errc patch_dup(char* bytes, P& p, protocol_version v, bool dup) noexcept {
  // MQTT 3.1 §2.4 marks retransmissions so (0x6A, 0x8A, 0xAA); 3.1.1 fixes the flags at 0010
  // ([MQTT-2.2.2-1]), so there DUP can only be cleared, which it already is.
  if (dup && v != protocol_version::v3_1) return errc::dup_not_allowed;
  set_flag(bytes[0], 0x08u, dup);
  p.dup = dup;
  return errc::success;
}

inline errc patch_retain(char* bytes, publish& p, bool retain) noexcept {
  set_flag(bytes[0], 0x01u, retain);
  p.retain = retain;
  return errc::success;
}

template <packet_id_packet P>
errc patch_packet_id(char* bytes, P& p, std::uint16_t id) noexcept {
  std::size_t at = 0;
  if constexpr (std::same_as<P, publish>) {
    if (p.qos == qos_level::at_most_once) return errc::packet_id_with_qos0;  // [MQTT-2.3.1-5]
    // The id follows the topic name (3.1.1 §3.3.2; 3.1 §3.3).
    at = static_cast<std::size_t>(p.topic.data() - bytes) + p.topic.size();
  } else {
    at = fixed_header_size(bytes);  // the id opens the variable header
  }
  if (id == 0) return errc::packet_id_zero;  // [MQTT-2.3.1-1]; 3.1 §2.4
  bytes[at] = ch(unsigned{id} >> 8);
  bytes[at + 1] = ch(id);
  p.packet_id = id;
  return errc::success;
}

// ---- the storage both owned<P> and owned_packet are made of ----

// One heap block holding the wire form of one packet, the view of it (`View` is a packet struct
// or `packet`) and the version it was encoded or decoded under. Empty: no block, View{}.
template <class View>
class owned_storage {
 public:
  owned_storage() noexcept = default;
  owned_storage(const owned_storage& other)
      : bytes_(other.size_ == 0 ? nullptr : new char[other.size_]),
        size_(other.size_),
        view_(other.view_),
        version_(other.version_) {
    if (size_ == 0) return;
    std::copy_n(other.bytes_.get(), size_, bytes_.get());
    move_views(view_, {other.bytes_.get(), bytes_.get()});
  }
  // The block changes hands; it does not move, so the views stay valid.
  owned_storage(owned_storage&& other) noexcept
      : bytes_(std::move(other.bytes_)),
        size_(std::exchange(other.size_, 0)),
        view_(std::exchange(other.view_, View{})),
        version_(std::exchange(other.version_, protocol_version::v3_1_1)) {}
  // Between owned<P> and owned_packet. Precondition: holds<View>(other's packet).
  template <class Other>
    requires(!std::same_as<Other, View>)
  explicit owned_storage(owned_storage<Other>&& other) noexcept
      : bytes_(std::move(other.bytes_)),
        size_(std::exchange(other.size_, 0)),
        view_(to_view<View>(std::exchange(other.view_, Other{}))),
        version_(std::exchange(other.version_, protocol_version::v3_1_1)) {}
  owned_storage& operator=(const owned_storage& other) {
    if (this != &other) *this = owned_storage(other);
    return *this;
  }
  owned_storage& operator=(owned_storage&& other) noexcept {
    if (this == &other) return *this;
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
    view_ = std::exchange(other.view_, View{});
    version_ = std::exchange(other.version_, protocol_version::v3_1_1);
    return *this;
  }
  ~owned_storage() = default;

  static result<owned_storage> copy_of(const View& view, protocol_version v, const options& opts) {
    if (const errc e = validate(view, v, opts); e != errc::success) return error{e, 0};
    owned_storage s;
    s.allocate(packet_size(view, v, opts));
    const result<std::size_t> written =
        encode(view, std::span<char>(s.bytes_.get(), s.size_), v, opts);
    if (!written) return written.error();  // not reached: validated and sized
    // Decoding our own bytes points the views into them. They passed validate under `opts`, so
    // the default (most lenient) rules only have to find the fields.
    const result<decoded> d = decode(s.wire(), v);
    if (!d) return d.error();  // not reached: the decoder reads what the encoder writes
    s.view_ = to_view<View>(d->pkt);
    s.version_ = v;
    return s;
  }

  static result<owned_storage> from_wire(bytes_view wire, protocol_version v, const options& opts) {
    const result<decoded> d = decode(wire, v, opts);
    if (!d) return d.error();
    if (!holds<View>(d->pkt)) return error{errc::unexpected_packet_type, 0};
    if (d->size != wire.size()) return error{errc::trailing_bytes, d->size};
    owned_storage s;
    s.allocate(wire.size());
    std::copy(wire.begin(), wire.end(), s.bytes_.get());  // as they are, non-canonical or not
    s.view_ = to_view<View>(d->pkt);
    s.version_ = v;
    move_views(s.view_, {wire.data(), s.bytes_.get()});
    return s;
  }

  bytes_view wire() const noexcept { return {bytes_.get(), size_}; }
  char* data() noexcept { return bytes_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const View& view() const noexcept { return view_; }
  View& view() noexcept { return view_; }
  protocol_version version() const noexcept { return version_; }

 private:
  template <class>
  friend class owned_storage;

  // Precondition: validate(view, v, opts) succeeded, so the size is there.
  static std::size_t packet_size(const View& view, protocol_version v, const options& opts) noexcept {
    return *encoded_size(view, v, opts);
  }
  // Not `make_unique<char[]>`, which would zero bytes that are written over at once.
  void allocate(std::size_t n) {
    bytes_.reset(new char[n]);
    size_ = n;
  }

  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  View view_{};
  protocol_version version_ = protocol_version::v3_1_1;
};

}  // namespace detail

/// One packet of type `P` that owns its data, for what must outlive the buffer it was read
/// from: a will, a client id, queued messages of an offline session, retained messages,
/// in-flight messages to resend. It holds the packet's wire form in exactly one heap allocation
/// and the view struct `P`, whose strings and lists point into those bytes. view() and wire()
/// are O(1) and live as long as the object; moving it keeps them valid (the bytes stay put),
/// a copy takes one allocation and points its own view into its own bytes. Run time only;
/// copy_of, from_wire and copying may throw std::bad_alloc.
/// A default-constructed or moved-from object is empty(): no bytes, view() == P{}.
template <packet_struct P>
class owned {
 public:
  owned() noexcept = default;

  /// Encodes `view` under `v` and `opts` into a new block and views that. Errors: exactly what
  /// validate(view, v, opts) returns, at offset 0; then nothing is allocated.
  static result<owned> copy_of(const P& view, protocol_version v = protocol_version::v3_1_1,
                               const options& opts = {}) {
    auto s = storage::copy_of(view, v, opts);
    if (!s) return s.error();
    return owned(std::move(*s));
  }
  /// Keeps already-encoded bytes (store the wire form once, send it many times): `wire` must be
  /// exactly one packet of type P, decoded under `v` and `opts`. The bytes are copied as they
  /// are, so a tolerated non-canonical packet keeps its bytes. Errors: decode's, unchanged;
  /// unexpected_packet_type (offset 0) for another type; trailing_bytes at the first byte after
  /// the packet.
  static result<owned> from_wire(bytes_view wire, protocol_version v = protocol_version::v3_1_1,
                                 const options& opts = {}) {
    auto s = storage::from_wire(wire, v, opts);
    if (!s) return s.error();
    return owned(std::move(*s));
  }

  /// The packet; its views point into wire().
  const P& view() const noexcept { return s_.view(); }
  /// The stored wire form.
  bytes_view wire() const noexcept { return s_.wire(); }
  /// The version the bytes were encoded or decoded under (CONNECT also names its own).
  protocol_version version() const noexcept { return s_.version(); }
  /// Bytes of the wire form; 0 when empty.
  std::size_t size() const noexcept { return s_.size(); }
  bool empty() const noexcept { return s_.empty(); }

  /// Sets or clears DUP for a resend, in the bytes (bit 3 of byte 0) and in view(). Refused,
  /// with nothing changed: dup_with_qos0 (setting it on a QoS 0 PUBLISH, [MQTT-3.3.1-2]),
  /// dup_not_allowed (setting it on PUBREL, SUBSCRIBE or UNSUBSCRIBE outside MQTT 3.1),
  /// unexpected_packet_type (empty).
  errc set_dup(bool dup) noexcept
    requires detail::dup_flag_packet<P>
  {
    if (empty()) return errc::unexpected_packet_type;
    return detail::patch_dup(s_.data(), s_.view(), s_.version(), dup);
  }
  /// Replaces the packet identifier in the bytes and in view(). Refused, with nothing changed:
  /// packet_id_with_qos0 (any id on a QoS 0 PUBLISH), packet_id_zero, unexpected_packet_type
  /// (empty).
  errc set_packet_id(std::uint16_t id) noexcept
    requires detail::packet_id_packet<P>
  {
    if (empty()) return errc::unexpected_packet_type;
    return detail::patch_packet_id(s_.data(), s_.view(), id);
  }
  /// Sets or clears RETAIN of a PUBLISH (a broker clears it when forwarding to existing
  /// subscribers, [MQTT-3.3.1-9]). Refused only when empty (unexpected_packet_type).
  errc set_retain(bool retain) noexcept
    requires std::same_as<P, publish>
  {
    if (empty()) return errc::unexpected_packet_type;
    return detail::patch_retain(s_.data(), s_.view(), retain);
  }

  /// Equal when both are empty, or both hold equal packets (views are compared, so non-canonical
  /// bytes equal their canonical form).
  friend bool operator==(const owned& a, const owned& b) noexcept {
    return a.empty() == b.empty() && a.view() == b.view();
  }
  /// Equal to the packet it holds; an empty object equals no packet.
  friend bool operator==(const owned& a, const P& b) noexcept {
    return !a.empty() && a.view() == b;
  }

 private:
  friend class owned_packet;
  using storage = detail::owned_storage<P>;
  explicit owned(storage&& s) noexcept : s_(std::move(s)) {}
  storage s_;
};

/// A packet of any type that owns its data, as owned<P> does for one type: e.g. a session's
/// queue of PUBLISH and PUBREL packets to resend. The same single allocation, lifetimes, value
/// semantics and patches (each refused with unexpected_packet_type on a type without the
/// field). A default-constructed or moved-from object is empty(): no bytes, view() == packet{}
/// (a default CONNECT: check empty() first). Run time only; may throw std::bad_alloc.
class owned_packet {
 public:
  owned_packet() noexcept = default;
  /// Takes the bytes of a typed object (no allocation); `typed` is left empty.
  template <packet_struct P>
  owned_packet(owned<P>&& typed) noexcept  // NOLINT(implicit): queues take owned<P> as they are
      : s_(std::move(typed.s_)) {}

  /// As owned<P>::copy_of, for any packet.
  static result<owned_packet> copy_of(const packet& view,
                                      protocol_version v = protocol_version::v3_1_1,
                                      const options& opts = {}) {
    auto s = storage::copy_of(view, v, opts);
    if (!s) return s.error();
    return owned_packet(std::move(*s));
  }
  /// As owned<P>::from_wire, keeping whichever packet `wire` holds (exactly one).
  static result<owned_packet> from_wire(bytes_view wire,
                                        protocol_version v = protocol_version::v3_1_1,
                                        const options& opts = {}) {
    auto s = storage::from_wire(wire, v, opts);
    if (!s) return s.error();
    return owned_packet(std::move(*s));
  }

  const packet& view() const noexcept { return s_.view(); }
  packet_type type() const noexcept { return type_of(s_.view()); }
  bytes_view wire() const noexcept { return s_.wire(); }
  protocol_version version() const noexcept { return s_.version(); }
  std::size_t size() const noexcept { return s_.size(); }
  bool empty() const noexcept { return s_.empty(); }

  /// The typed form. A copy (one allocation); unexpected_packet_type when empty or of another
  /// type.
  template <packet_struct P>
  result<owned<P>> as() const& {
    if (empty() || !detail::holds<P>(view())) return error{errc::unexpected_packet_type, 0};
    return owned<P>(detail::owned_storage<P>(storage(s_)));
  }
  /// The typed form, taking the bytes (no allocation; *this is left empty). On
  /// unexpected_packet_type (empty, or another type) *this is unchanged.
  template <packet_struct P>
  result<owned<P>> as() && noexcept {
    if (empty() || !detail::holds<P>(view())) return error{errc::unexpected_packet_type, 0};
    return owned<P>(detail::owned_storage<P>(std::move(s_)));
  }

  /// As owned<P>::set_dup, for PUBLISH, PUBREL, SUBSCRIBE and UNSUBSCRIBE.
  errc set_dup(bool dup) noexcept {
    return patch([&](auto& p) {
      if constexpr (detail::dup_flag_packet<std::remove_cvref_t<decltype(p)>>) {
        return detail::patch_dup(s_.data(), p, s_.version(), dup);
      } else {
        return errc::unexpected_packet_type;
      }
    });
  }
  /// As owned<P>::set_packet_id, for every packet with a packet identifier.
  errc set_packet_id(std::uint16_t id) noexcept {
    return patch([&](auto& p) {
      if constexpr (detail::packet_id_packet<std::remove_cvref_t<decltype(p)>>) {
        return detail::patch_packet_id(s_.data(), p, id);
      } else {
        return errc::unexpected_packet_type;
      }
    });
  }
  /// As owned<publish>::set_retain.
  errc set_retain(bool retain) noexcept {
    return patch([&](auto& p) {
      if constexpr (std::same_as<std::remove_cvref_t<decltype(p)>, publish>) {
        return detail::patch_retain(s_.data(), p, retain);
      } else {
        return errc::unexpected_packet_type;
      }
    });
  }

  /// As for owned<P>: both empty, or equal packets.
  friend bool operator==(const owned_packet& a, const owned_packet& b) noexcept {
    return a.empty() == b.empty() && a.view() == b.view();
  }
  friend bool operator==(const owned_packet& a, const packet& b) noexcept {
    return !a.empty() && a.view() == b;
  }

 private:
  using storage = detail::owned_storage<packet>;
  explicit owned_packet(storage&& s) noexcept : s_(std::move(s)) {}
  template <class F>
  errc patch(F&& f) noexcept {
    if (empty()) return errc::unexpected_packet_type;
    return std::visit(std::forward<F>(f), s_.view());
  }
  storage s_;
};

}  // namespace mqttwire

#endif  // MQTTWIRE_OWNED_HPP
