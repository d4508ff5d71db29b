// SPDX-License-Identifier: MIT
// mqttwire: the 14 MQTT 3.1/3.1.1 control packets as plain structs, and their variant.
#ifndef MQTTWIRE_PACKETS_HPP
#define MQTTWIRE_PACKETS_HPP

#include "mqttwire/types.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

namespace mqttwire {

/// The will a client leaves with the server in CONNECT.
struct last_will {
  std::string_view topic{};
  std::string_view payload{};  ///< binary in 3.1.1; the bytes the server publishes
  qos_level qos = qos_level::at_most_once;
  bool retain = false;
  friend constexpr bool operator==(const last_will&, const last_will&) = default;
};

/// One entry of a SUBSCRIBE: a topic filter and the requested QoS.
struct subscription {
  std::string_view topic_filter{};
  qos_level qos = qos_level::at_most_once;
  friend constexpr bool operator==(const subscription&, const subscription&) = default;
};

namespace detail {
constexpr std::uint16_t load_be16(const char* p) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8) |
                                    static_cast<unsigned char>(p[1]));
}

// How one list element is laid out on the wire (after decode has validated the bytes).
template <class T>
struct wire_element;

template <>
struct wire_element<std::uint8_t> {  // SUBACK return code: one byte
  static constexpr std::size_t size(const char*) noexcept { return 1; }
  static constexpr std::uint8_t read(const char* p) noexcept {
    return static_cast<std::uint8_t>(static_cast<unsigned char>(p[0]));
  }
};

template <>
struct wire_element<std::string_view> {  // UNSUBSCRIBE topic filter: length-prefixed string
  static constexpr std::size_t size(const char* p) noexcept { return 2u + load_be16(p); }
  static constexpr std::string_view read(const char* p) noexcept { return {p + 2, load_be16(p)}; }
};

template <>
struct wire_element<subscription> {  // SUBSCRIBE entry: string, then the requested-QoS byte
  static constexpr std::size_t size(const char* p) noexcept { return 3u + load_be16(p); }
  static constexpr subscription read(const char* p) noexcept {
    const std::size_t n = load_be16(p);
    // Bits 7-2 are reserved; the 3.1 tolerant mode lets them through, so keep only the QoS.
    return {{p + 2, n}, static_cast<qos_level>(static_cast<unsigned char>(p[2 + n]) & 0x03u)};
  }
};
}  // namespace detail

/// The list field of SUBSCRIBE, SUBACK and UNSUBSCRIBE. It is one of two things:
/// - on the encode side, a view of elements the caller owns (`std::span<const T>`), built from
///   any contiguous range: `.subscriptions = my_array`;
/// - on the decode side, a view of the validated wire bytes that reads each element as it is
///   iterated: no copy, no allocation, no fixed maximum.
/// Both compare equal when their elements do, so `decode(encode(p)) == p` holds. The caller's
/// elements (or the decoded buffer) must outlive the list.
template <class T>
class wire_list {
 public:
  using value_type = T;

  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    using reference = T;

    constexpr iterator() noexcept = default;
    constexpr T operator*() const noexcept {
      return list_->from_wire_ ? detail::wire_element<T>::read(list_->wire_.data() + pos_)
                               : list_->items_[pos_];
    }
    constexpr iterator& operator++() noexcept {
      pos_ += list_->from_wire_ ? detail::wire_element<T>::size(list_->wire_.data() + pos_) : 1;
      return *this;
    }
    constexpr iterator operator++(int) noexcept {
      iterator before = *this;
      ++*this;
      return before;
    }
    friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.pos_ == b.pos_;
    }

   private:
    friend class wire_list;
    constexpr iterator(const wire_list* list, std::size_t pos) noexcept : list_(list), pos_(pos) {}
    const wire_list* list_ = nullptr;
    std::size_t pos_ = 0;  // element index (caller's elements) or byte offset (wire bytes)
  };
  using const_iterator = iterator;

  constexpr wire_list() noexcept = default;
  constexpr wire_list(std::span<const T> items) noexcept : items_(items) {}  // NOLINT(implicit)
  template <class R>
    requires(!std::same_as<std::remove_cvref_t<R>, wire_list> &&
             std::convertible_to<R &&, std::span<const T>>)
  constexpr wire_list(R&& range) noexcept  // NOLINT(implicit)
      : items_(std::span<const T>(std::forward<R>(range))) {}

  /// A list over wire bytes that `decode` has already validated (for the library's own use).
  static constexpr wire_list from_wire(std::string_view validated) noexcept {
    wire_list list;
    list.wire_ = validated;
    list.from_wire_ = true;
    return list;
  }

  constexpr iterator begin() const noexcept { return {this, 0}; }
  constexpr iterator end() const noexcept { return {this, from_wire_ ? wire_.size() : items_.size()}; }
  constexpr bool empty() const noexcept { return from_wire_ ? wire_.empty() : items_.empty(); }
  /// Number of elements. On decoded lists this counts by walking the bytes (linear).
  constexpr std::size_t size() const noexcept {
    if (!from_wire_) return items_.size();
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it) ++n;
    return n;
  }
  /// True when the elements are read from wire bytes (the list came from `decode`).
  constexpr bool is_wire_view() const noexcept { return from_wire_; }
  /// The wire bytes of a decoded list (empty for a list of caller elements).
  constexpr std::string_view wire_bytes() const noexcept { return wire_; }
  /// The caller's elements of a list that is not a wire view (empty for a decoded list).
  constexpr std::span<const T> items() const noexcept { return items_; }

  friend constexpr bool operator==(const wire_list& a, const wire_list& b) noexcept {
    auto i = a.begin();
    auto j = b.begin();
    for (; i != a.end() && j != b.end(); ++i, ++j) {
      if (!(*i == *j)) return false;
    }
    return i == a.end() && j == b.end();
  }

 private:
  std::span<const T> items_{};
  std::string_view wire_{};
  bool from_wire_ = false;
};

/// CONNECT: the first packet of a client. `protocol` is the protocol name and level on the wire.
struct connect {
  protocol_version protocol = protocol_version::v3_1_1;
  bool clean_session = true;
  std::uint16_t keep_alive = 0;  ///< seconds; 0 turns keep-alive off
  std::string_view client_id{};
  std::optional<last_will> will{};
  std::optional<std::string_view> username{};
  std::optional<std::string_view> password{};  ///< binary in 3.1.1
  friend constexpr bool operator==(const connect&, const connect&) = default;
};

/// CONNACK: the server's answer to CONNECT (see answer_connect in response.hpp).
struct connack {
  bool session_present = false;  ///< 3.1.1 only
  connect_return_code return_code = connect_return_code::accepted;
  friend constexpr bool operator==(const connack&, const connack&) = default;
};

/// PUBLISH. `packet_id` is present exactly when qos is 1 or 2.
struct publish {
  bool dup = false;
  qos_level qos = qos_level::at_most_once;
  bool retain = false;
  std::string_view topic{};
  std::optional<std::uint16_t> packet_id{};
  std::string_view payload{};
  friend constexpr bool operator==(const publish&, const publish&) = default;
};

struct puback {
  std::uint16_t packet_id = 0;
  friend constexpr bool operator==(const puback&, const puback&) = default;
};
struct pubrec {
  std::uint16_t packet_id = 0;
  friend constexpr bool operator==(const pubrec&, const pubrec&) = default;
};
/// PUBREL. `dup` marks a 3.1 retransmission (first byte 0x6A); 3.1.1 has no such flag.
struct pubrel {
  std::uint16_t packet_id = 0;
  bool dup = false;
  friend constexpr bool operator==(const pubrel&, const pubrel&) = default;
};
struct pubcomp {
  std::uint16_t packet_id = 0;
  friend constexpr bool operator==(const pubcomp&, const pubcomp&) = default;
};

/// SUBSCRIBE. `dup` marks a 3.1 retransmission (0x8A).
struct subscribe {
  std::uint16_t packet_id = 0;
  bool dup = false;
  wire_list<subscription> subscriptions{};
  friend constexpr bool operator==(const subscribe&, const subscribe&) = default;
};

/// SUBACK: one return code per filter of the SUBSCRIBE (0, 1, 2, or 0x80 = failure in 3.1.1).
struct suback {
  std::uint16_t packet_id = 0;
  wire_list<std::uint8_t> return_codes{};
  friend constexpr bool operator==(const suback&, const suback&) = default;
};

/// UNSUBSCRIBE. `dup` marks a 3.1 retransmission (0xAA).
struct unsubscribe {
  std::uint16_t packet_id = 0;
  bool dup = false;
  wire_list<std::string_view> topic_filters{};
  friend constexpr bool operator==(const unsubscribe&, const unsubscribe&) = default;
};

struct unsuback {
  std::uint16_t packet_id = 0;
  friend constexpr bool operator==(const unsuback&, const unsuback&) = default;
};
struct pingreq {
  friend constexpr bool operator==(const pingreq&, const pingreq&) = default;
};
struct pingresp {
  friend constexpr bool operator==(const pingresp&, const pingresp&) = default;
};
struct disconnect {
  friend constexpr bool operator==(const disconnect&, const disconnect&) = default;
};

/// Any control packet. The alternative index is the packet type minus one.
using packet = std::variant<connect, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe,
                            suback, unsubscribe, unsuback, pingreq, pingresp, disconnect>;

namespace detail {
template <class P, class Variant>
struct alternative_index;
template <class P, class... Ts>
struct alternative_index<P, std::variant<Ts...>> {
  static constexpr std::size_t find() noexcept {
    constexpr bool matches[] = {std::is_same_v<P, Ts>...};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i) {
      if (matches[i]) return i;
    }
    return sizeof...(Ts);
  }
  static constexpr std::size_t value = find();
};
}  // namespace detail

/// True for the 14 packet structs.
template <class P>
concept packet_struct =
    detail::alternative_index<P, packet>::value < std::variant_size_v<packet>;

/// The packet type of a struct, known at compile time.
template <packet_struct P>
inline constexpr packet_type type_of_v =
    static_cast<packet_type>(detail::alternative_index<P, packet>::value + 1);

constexpr packet_type type_of(const packet& p) noexcept {
  return static_cast<packet_type>(p.index() + 1);
}
template <packet_struct P>
constexpr packet_type type_of(const P&) noexcept {
  return type_of_v<P>;
}

}  // namespace mqttwire

#endif  // MQTTWIRE_PACKETS_HPP
