// SPDX-License-Identifier: MIT
// mqttwire: error codes that name the rule they enforce, error positions, and result<T>.
#ifndef MQTTWIRE_ERROR_HPP
#define MQTTWIRE_ERROR_HPP

#include "mqttwire/types.hpp"

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace mqttwire {

/// Every outcome of decoding, encoding and validating. The enumerator names are the stable
/// snake_case strings that `to_string` returns and the command-line tool prints.
enum class errc : std::uint8_t {
  success = 0,
  incomplete,
  buffer_too_small,
  // fixed header and framing
  reserved_packet_type,
  malformed_remaining_length,
  non_minimal_remaining_length,
  invalid_fixed_header_flags,
  packet_too_large,
  impossible_remaining_length,
  // structure inside a packet
  packet_too_short,
  trailing_bytes,
  string_exceeds_packet,
  string_too_long,
  // string contents
  invalid_utf8,
  null_character,
  control_character,
  non_character,
  // CONNECT
  invalid_protocol_name,
  unsupported_protocol_level,
  reserved_connect_flag,
  will_qos_without_will,
  will_retain_without_will,
  invalid_will_qos,
  password_without_username,
  missing_client_id,
  missing_will,
  missing_username,
  missing_password,
  // CONNACK
  invalid_connack_return_code,
  connack_reserved_flags,
  session_present_with_error,
  session_present_in_3_1,
  // PUBLISH and packet identifiers
  invalid_qos,
  dup_with_qos0,
  packet_id_zero,
  missing_packet_id,
  packet_id_with_qos0,
  // topic names and filters
  empty_topic_name,
  wildcard_in_topic_name,
  topic_too_long,
  empty_topic_filter,
  misplaced_multi_level_wildcard,
  misplaced_single_level_wildcard,
  // SUBSCRIBE, UNSUBSCRIBE, SUBACK
  empty_subscription_list,
  empty_unsubscribe_list,
  invalid_requested_qos,
  requested_qos_reserved_bits,
  empty_return_code_list,
  invalid_suback_return_code,
  dup_not_allowed,
  // checks of a reply against the request it answers
  packet_id_mismatch,
  return_code_count_mismatch,
  // the order of packets on a connection
  first_packet_not_connect,
  second_connect,
  // a packet of another type than the one asked for
  unexpected_packet_type,
  // sessions: the protocol over time (session/client.hpp, session/server.hpp)
  unexpected_packet,
  keep_alive_timeout,
  connect_timeout,
  connection_lost,
  connection_refused,
  session_taken_over,
  not_connected,
  session_closed,
  queue_full,
  too_many_unreleased,
  corrupt_session_state,
};

/// What the library knows about one error code.
struct error_info {
  errc code;
  std::string_view name;     ///< stable snake_case name, equal to the enumerator
  std::string_view rule;     ///< the specification statement or section it enforces
  std::string_view message;  ///< one sentence for people
};

namespace detail {
// One row per code, in enumerator order (checked below), so name, rule and message live together.
inline constexpr error_info error_table[] = {
    {errc::success, "success", "", "success"},
    {errc::incomplete, "incomplete", "",
     "the input is a proper prefix of a packet: more bytes are needed"},
    {errc::buffer_too_small, "buffer_too_small", "",
     "the output buffer is smaller than the encoded packet"},
    {errc::reserved_packet_type, "reserved_packet_type",
     "MQTT 3.1.1 §2.2.1 (types 0 and 15 are reserved); MQTT 3.1 §2.1",
     "packet type 0 or 15 is reserved"},
    {errc::malformed_remaining_length, "malformed_remaining_length",
     "MQTT 3.1.1 §2.2.3 (at most four bytes); MQTT 3.1 §2.1",
     "the Remaining Length does not end within four bytes"},
    {errc::non_minimal_remaining_length, "non_minimal_remaining_length",
     "mqttwire strict option; MQTT 5.0 [MQTT-1.5.5-1]",
     "the Remaining Length is not encoded in the fewest bytes"},
    {errc::invalid_fixed_header_flags, "invalid_fixed_header_flags",
     "[MQTT-2.2.2-1] [MQTT-2.2.2-2]; MQTT 3.1 §2.4 in strict mode",
     "the flag bits of the fixed header have values this packet type does not allow"},
    {errc::packet_too_large, "packet_too_large",
     "MQTT 3.1.1 §2.2.3 (Remaining Length at most 268,435,455); caller's maximum packet size",
     "the packet is larger than the protocol or the configured maximum allows"},
    {errc::impossible_remaining_length, "impossible_remaining_length",
     "MQTT 3.1.1 §3 and MQTT 3.1 §3 (fixed layouts and least sizes); [MQTT-4.8.0-1]",
     "the Remaining Length is one this packet type can never have"},
    {errc::packet_too_short, "packet_too_short", "[MQTT-4.8.0-1]; MQTT 3.1.1 §2.2.3",
     "a field runs past the end given by the Remaining Length"},
    {errc::trailing_bytes, "trailing_bytes", "[MQTT-3.1.4-1]; MQTT 3.1.1 §3 fixed layouts",
     "bytes are left inside the packet after its last field"},
    {errc::string_exceeds_packet, "string_exceeds_packet", "MQTT 3.1.1 §1.5.3; MQTT 3.1 §2.5",
     "a length prefix claims more bytes than the packet has left"},
    {errc::string_too_long, "string_too_long", "MQTT 3.1.1 §1.5.3 (at most 65,535 bytes)",
     "a string or binary field is longer than 65,535 bytes"},
    {errc::invalid_utf8, "invalid_utf8", "[MQTT-1.5.3-1]",
     "a string is not well-formed UTF-8 (or encodes a surrogate)"},
    {errc::null_character, "null_character", "[MQTT-1.5.3-2] [MQTT-4.7.3-2]",
     "a string contains U+0000"},
    {errc::control_character, "control_character", "MQTT 3.1.1 §1.5.3 (MAY close; strict option)",
     "a string contains a control character U+0001..U+001F or U+007F..U+009F"},
    {errc::non_character, "non_character", "MQTT 3.1.1 §1.5.3 (MAY close; strict option)",
     "a string contains a Unicode non-character such as U+FFFF"},
    {errc::invalid_protocol_name, "invalid_protocol_name", "[MQTT-3.1.2-1]",
     "the CONNECT protocol name is neither \"MQTT\" nor \"MQIsdp\""},
    {errc::unsupported_protocol_level, "unsupported_protocol_level", "[MQTT-3.1.2-2]",
     "the CONNECT protocol level is not one this library speaks (answer CONNACK 1)"},
    {errc::reserved_connect_flag, "reserved_connect_flag", "[MQTT-3.1.2-3]",
     "the reserved bit 0 of the connect flags is set"},
    {errc::will_qos_without_will, "will_qos_without_will", "[MQTT-3.1.2-13]",
     "Will QoS is not 0 although the Will Flag is 0"},
    {errc::will_retain_without_will, "will_retain_without_will", "[MQTT-3.1.2-15]",
     "Will Retain is set although the Will Flag is 0"},
    {errc::invalid_will_qos, "invalid_will_qos", "[MQTT-3.1.2-14]", "Will QoS is 3"},
    {errc::password_without_username, "password_without_username", "[MQTT-3.1.2-22]; MQTT 3.1 §3.1",
     "the Password Flag is set without the User Name Flag"},
    {errc::missing_client_id, "missing_client_id", "[MQTT-3.1.3-3]",
     "the CONNECT payload has no client identifier"},
    {errc::missing_will, "missing_will", "[MQTT-3.1.2-9]",
     "the Will Flag is set but the will topic or will message is missing"},
    {errc::missing_username, "missing_username", "[MQTT-3.1.2-19]",
     "the User Name Flag is set but the user name is missing"},
    {errc::missing_password, "missing_password", "[MQTT-3.1.2-21]",
     "the Password Flag is set but the password is missing"},
    {errc::invalid_connack_return_code, "invalid_connack_return_code",
     "MQTT 3.1.1 §3.2.2.3 (6..255 reserved); MQTT 3.1 §3.2", "the CONNACK return code is above 5"},
    {errc::connack_reserved_flags, "connack_reserved_flags",
     "MQTT 3.1.1 §3.2.2.1 (bits 7-1 reserved); [MQTT-4.8.0-1]",
     "a reserved bit of the CONNACK acknowledge flags is set"},
    {errc::session_present_with_error, "session_present_with_error", "[MQTT-3.2.2-4]",
     "Session Present is set in a CONNACK that refuses the connection"},
    {errc::session_present_in_3_1, "session_present_in_3_1", "MQTT 3.1 §3.2 (byte 1 is not used)",
     "MQTT 3.1 has no Session Present flag"},
    {errc::invalid_qos, "invalid_qos", "[MQTT-3.3.1-4]", "the QoS value is 3 (reserved)"},
    {errc::dup_with_qos0, "dup_with_qos0", "[MQTT-3.3.1-2]", "DUP is set on a QoS 0 PUBLISH"},
    {errc::packet_id_zero, "packet_id_zero", "[MQTT-2.3.1-1]; MQTT 3.1 §2.4",
     "the packet identifier is 0"},
    {errc::missing_packet_id, "missing_packet_id", "[MQTT-2.3.1-1]",
     "a QoS 1 or 2 PUBLISH has no packet identifier"},
    {errc::packet_id_with_qos0, "packet_id_with_qos0", "[MQTT-2.3.1-5]",
     "a QoS 0 PUBLISH must not carry a packet identifier"},
    {errc::empty_topic_name, "empty_topic_name", "[MQTT-4.7.3-1]", "the topic name is empty"},
    {errc::wildcard_in_topic_name, "wildcard_in_topic_name", "[MQTT-3.3.2-2] [MQTT-4.7.1-1]",
     "the topic name contains '+' or '#'"},
    {errc::topic_too_long, "topic_too_long", "MQTT 3.1 §2.2 (32,767 characters; strict option)",
     "the topic is longer than MQTT 3.1 allows"},
    {errc::empty_topic_filter, "empty_topic_filter", "[MQTT-4.7.3-1]", "a topic filter is empty"},
    {errc::misplaced_multi_level_wildcard, "misplaced_multi_level_wildcard", "[MQTT-4.7.1-2]",
     "'#' in a topic filter is not a whole level at the end"},
    {errc::misplaced_single_level_wildcard, "misplaced_single_level_wildcard", "[MQTT-4.7.1-3]",
     "'+' in a topic filter is not a whole level"},
    {errc::empty_subscription_list, "empty_subscription_list", "[MQTT-3.8.3-3]",
     "the SUBSCRIBE has no topic filter"},
    {errc::empty_unsubscribe_list, "empty_unsubscribe_list", "[MQTT-3.10.3-2]",
     "the UNSUBSCRIBE has no topic filter"},
    {errc::invalid_requested_qos, "invalid_requested_qos", "[MQTT-3-8.3-4]; MQTT 3.1 §3.8",
     "a requested QoS is 3"},
    {errc::requested_qos_reserved_bits, "requested_qos_reserved_bits", "[MQTT-3-8.3-4]",
     "bits 7-2 of a requested QoS byte are not 0"},
    {errc::empty_return_code_list, "empty_return_code_list", "MQTT 3.1.1 §3.9.3; MQTT 3.1 §3.9",
     "the SUBACK has no return code"},
    {errc::invalid_suback_return_code, "invalid_suback_return_code",
     "[MQTT-3.9.3-2]; MQTT 3.1 §3.9 (granted QoS 0..2 only)",
     "a SUBACK return code is not allowed in this protocol version"},
    {errc::dup_not_allowed, "dup_not_allowed", "[MQTT-2.2.2-1] (DUP here exists only in MQTT 3.1)",
     "DUP on PUBREL, SUBSCRIBE or UNSUBSCRIBE is only valid in MQTT 3.1"},
    {errc::packet_id_mismatch, "packet_id_mismatch", "[MQTT-2.3.1-6] [MQTT-2.3.1-7]",
     "the acknowledgement carries another packet identifier than the request"},
    {errc::return_code_count_mismatch, "return_code_count_mismatch", "[MQTT-3.8.4-5] [MQTT-3.9.3-1]",
     "the SUBACK has a different number of return codes than the SUBSCRIBE had filters"},
    {errc::first_packet_not_connect, "first_packet_not_connect", "[MQTT-3.1.0-1]",
     "the first packet a client sends on a connection must be CONNECT"},
    {errc::second_connect, "second_connect", "[MQTT-3.1.0-2]",
     "a client sent CONNECT a second time on one connection"},
    {errc::unexpected_packet_type, "unexpected_packet_type",
     "MQTT 3.1.1 §2.2.1 (bits 7-4 of byte 1 name the packet type); MQTT 3.1 §2.1",
     "the packet is not of the type asked for, or its type has no such field"},
    {errc::unexpected_packet, "unexpected_packet", "[MQTT-3.2.0-1] [MQTT-4.8.0-1]",
     "a packet this side never receives, or one the session's state does not allow now"},
    {errc::keep_alive_timeout, "keep_alive_timeout", "[MQTT-3.1.2-24]; MQTT 3.1.1 §3.1.2.10",
     "the peer was silent past the keep-alive limit"},
    {errc::connect_timeout, "connect_timeout", "mqttwire session option (spec reference §2.5)",
     "no CONNECT (server) or CONNACK (client) arrived in time"},
    {errc::connection_lost, "connection_lost", "[MQTT-3.1.2-8]",
     "the connection ended without DISCONNECT"},
    {errc::connection_refused, "connection_refused", "[MQTT-3.2.2-5]",
     "the server refused the connection with a CONNACK return code"},
    {errc::session_taken_over, "session_taken_over", "[MQTT-3.1.4-2]",
     "a new connection with the same client id replaced this one"},
    {errc::not_connected, "not_connected", "mqttwire session API (the command needs a connection)",
     "the session is not connected, so the command cannot be carried out now"},
    {errc::session_closed, "session_closed", "[MQTT-4.8.0-1] (the first error ends the connection)",
     "the connection of this session has ended"},
    {errc::queue_full, "queue_full", "mqttwire session limit",
     "the session's queue or output limit is reached"},
    {errc::too_many_unreleased, "too_many_unreleased", "mqttwire session limit",
     "the peer left more QoS 2 messages awaiting PUBREL than the session allows"},
    {errc::corrupt_session_state, "corrupt_session_state", "mqttwire session state format (session/state.hpp)",
     "the bytes are not a session state written by this library"},
};

constexpr bool error_table_is_in_order() noexcept {
  for (std::size_t i = 0; i < std::size(error_table); ++i) {
    if (static_cast<std::size_t>(error_table[i].code) != i) return false;
  }
  return true;
}
static_assert(error_table_is_in_order(), "error_table rows must follow the errc order");
}  // namespace detail

/// Number of error codes, `success` included.
inline constexpr std::size_t errc_count = std::size(detail::error_table);

/// Everything known about `e`; an out-of-range value gives an empty row.
constexpr error_info info(errc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  if (i < errc_count) return detail::error_table[i];
  return {e, "unknown", "", "unknown error"};
}
/// The stable snake_case name, e.g. "empty_subscription_list".
constexpr std::string_view to_string(errc e) noexcept { return info(e).name; }
/// The specification rule the code enforces, e.g. "[MQTT-3.8.3-3]".
constexpr std::string_view rule_of(errc e) noexcept { return info(e).rule; }
/// A one-sentence description for people.
constexpr std::string_view message_of(errc e) noexcept { return info(e).message; }

/// Parses a name printed by `to_string` back into a code.
constexpr std::optional<errc> errc_from_string(std::string_view name) noexcept {
  for (const auto& row : detail::error_table) {
    if (row.name == name) return row.code;
  }
  return std::nullopt;
}

/// For a decode error that a server answers with a CONNACK before closing (the spec's
/// REFUSE outcome), the return code to send; nullopt when the answer is to close silently.
constexpr std::optional<connect_return_code> connack_for(errc e) noexcept {
  if (e == errc::unsupported_protocol_level) return connect_return_code::unacceptable_protocol_version;
  return std::nullopt;
}

/// What went wrong and where: `offset` is a byte index into the span that was passed in.
struct error {
  errc code = errc::success;
  std::size_t offset = 0;
  friend constexpr bool operator==(const error&, const error&) = default;
};

/// A value or an error: the subset of std::expected<T, error> the library needs (clang 14 has
/// no std::expected). Read it with has_value()/operator bool, operator*, operator-> and error().
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  constexpr result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT(implicit)
      : storage_(std::in_place_index<0>, std::move(value)) {}
  constexpr result(mqttwire::error e) noexcept  // NOLINT(implicit)
      : storage_(std::in_place_index<1>, e) {}
  /// Builds the value in place from `args` (as std::expected's in_place constructor does), so a
  /// large value is written once, straight into the caller's result.
  template <class... Args>
  constexpr explicit result(std::in_place_t, Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args...>)
      : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& operator*() & noexcept { return std::get<0>(storage_); }
  constexpr const T& operator*() const& noexcept { return std::get<0>(storage_); }
  constexpr T&& operator*() && noexcept { return std::get<0>(std::move(storage_)); }
  constexpr T* operator->() noexcept { return &std::get<0>(storage_); }
  constexpr const T* operator->() const noexcept { return &std::get<0>(storage_); }
  constexpr const T& value() const& noexcept { return std::get<0>(storage_); }

  /// The error; {success, 0} when a value is held.
  constexpr mqttwire::error error() const noexcept {
    return has_value() ? mqttwire::error{} : std::get<1>(storage_);
  }
  /// Shorthand for error().code.
  constexpr errc code() const noexcept { return error().code; }

  /// Equal when both hold equal values or equal errors (as std::expected compares).
  friend constexpr bool operator==(const result& a, const result& b) noexcept
    requires std::equality_comparable<T>
  {
    return a.storage_ == b.storage_;
  }

 private:
  std::variant<T, mqttwire::error> storage_;
};

/// Result of `encode_to`: where writing stopped, like std::to_chars_result.
template <class Out>
struct encode_to_result {
  Out out;
  errc ec = errc::success;
};

// ---- std::error_code interop (run time only: error categories are not constexpr) ----

/// The category of mqttwire::errc, named "mqttwire".
inline const std::error_category& error_category() noexcept {
  class category final : public std::error_category {
   public:
    const char* name() const noexcept override { return "mqttwire"; }
    std::string message(int value) const override {
      return std::string(message_of(static_cast<errc>(value)));
    }
  };
  static const category instance;
  return instance;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace mqttwire

template <>
struct std::is_error_code_enum<mqttwire::errc> : std::true_type {};

#endif  // MQTTWIRE_ERROR_HPP
