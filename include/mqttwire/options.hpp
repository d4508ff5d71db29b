// SPDX-License-Identifier: MIT
// mqttwire: the switches that make decoding stricter than the specifications, or more tolerant.
#ifndef MQTTWIRE_OPTIONS_HPP
#define MQTTWIRE_OPTIONS_HPP

namespace mqttwire {

/// Decoding and encoding rules beyond the MUSTs of the specifications. With the defaults, every
/// packet that breaks a 3.1.1 rule is rejected, because a 3.1.1 receiver MUST close on a protocol
/// violation ([MQTT-4.8.0-1]), even where the rule is written for the sender; what a
/// specification allows is accepted. The `reject_*` and `strict_3_1` flags turn on checks the
/// specifications leave optional; the `tolerate_*` flags turn off one 3.1.1 sender rule each,
/// for inspectors and gateways that must show such packets rather than close.
struct options {
  /// Reject a Remaining Length written in more bytes than needed (3.x allows it; MQTT 5 does not).
  bool reject_non_minimal_length = false;
  /// Reject the characters a receiver MAY close on (3.1.1 §1.5.3): U+0001..U+001F, U+007F..U+009F
  /// and the 66 Unicode non-characters. Applies to every string field, as mosquitto does.
  bool reject_control_characters = false;
  /// Turn off the MQTT 3.1 tolerances: require the canonical first byte (retransmissions with DUP
  /// on PUBREL/SUBSCRIBE/UNSUBSCRIBE stay legal), reject DUP on a QoS 0 PUBLISH, empty
  /// SUBSCRIBE/UNSUBSCRIBE, reserved bits in a requested QoS byte, and topics longer than 32,767
  /// bytes.
  bool strict_3_1 = false;
  /// Accept a 3.1.1 QoS 0 PUBLISH with DUP set ([MQTT-3.3.1-2] is broken; rejected by default).
  bool tolerate_dup_with_qos0 = false;
  /// Accept a 3.1.1 CONNACK whose reserved acknowledge-flag bits 7-1 are not 0 (§3.2.2.1).
  bool tolerate_connack_reserved_flags = false;
  /// Accept a 3.1.1 CONNACK with Session Present set and a refusal code ([MQTT-3.2.2-4]).
  bool tolerate_session_present_with_error = false;

  /// Every optional check on: what mosquitto enforces, and more.
  static constexpr options strictest() noexcept {
    options o{};
    o.reject_non_minimal_length = true;
    o.reject_control_characters = true;
    o.strict_3_1 = true;
    return o;
  }
  /// Every sender rule tolerated: for inspectors that show what a peer sent instead of closing.
  static constexpr options tolerant() noexcept {
    options o{};
    o.tolerate_dup_with_qos0 = true;
    o.tolerate_connack_reserved_flags = true;
    o.tolerate_session_present_with_error = true;
    return o;
  }
  friend constexpr bool operator==(const options&, const options&) = default;
};

/// The rules the codec uses when none are given (options{}): the default arguments refer to this
/// one object, so a call that leaves them out builds no temporary.
inline constexpr options default_options{};

}  // namespace mqttwire

#endif  // MQTTWIRE_OPTIONS_HPP
