// SPDX-License-Identifier: MIT
// mqttwire: the switches that turn on the stricter checks the specifications leave optional.
#ifndef MQTTWIRE_OPTIONS_HPP
#define MQTTWIRE_OPTIONS_HPP

namespace mqttwire {

/// Decoding and encoding rules beyond the MUSTs of the specifications. The defaults follow
/// the recommendations of the spec reference (section 8): everything a specification forbids is
/// rejected, and nothing it allows is. Each flag turns on one stricter check.
struct options {
  /// Reject a Remaining Length written in more bytes than needed (3.x allows it; MQTT 5 does not).
  bool reject_non_minimal_length = false;
  /// Reject the characters a receiver MAY close on (3.1.1 §1.5.3): U+0001..U+001F, U+007F..U+009F
  /// and the 66 Unicode non-characters. Applies to every string field, as mosquitto does.
  bool reject_control_characters = false;
  /// Turn off the MQTT 3.1 tolerances: require the canonical first byte (retransmissions with DUP
  /// on PUBREL/SUBSCRIBE/UNSUBSCRIBE stay legal), reject empty SUBSCRIBE/UNSUBSCRIBE, reserved bits
  /// in a requested QoS byte, and topics longer than 32,767 bytes.
  bool strict_3_1 = false;
  /// Reject a QoS 0 PUBLISH with DUP set ([MQTT-3.3.1-2] binds only the sender).
  bool reject_dup_with_qos0 = false;
  /// Reject a 3.1.1 CONNACK with reserved flag bits, or with Session Present and a refusal
  /// (sender MUSTs with no stated receiver reaction).
  bool strict_connack = false;

  /// Every optional check on: what mosquitto enforces, and more.
  static constexpr options strictest() noexcept {
    return {true, true, true, true, true};
  }
  friend constexpr bool operator==(const options&, const options&) = default;
};

}  // namespace mqttwire

#endif  // MQTTWIRE_OPTIONS_HPP
