// SPDX-License-Identifier: MIT
// mqttwire: what a server answers to a well-formed CONNECT, and checks of replies against
// the requests they answer. Refusals are not malformations: decode accepts these packets.
#ifndef MQTTWIRE_RESPONSE_HPP
#define MQTTWIRE_RESPONSE_HPP

#include "mqttwire/error.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/types.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace mqttwire {

/// A server's choices where the specifications let it choose.
struct connect_policy {
  /// MQTT 3.1 refuses client ids over 23 characters (§3.1); most brokers (mosquitto among them)
  /// accept longer ones. Counted in bytes, as all practical 3.1 ids are ASCII.
  bool accept_long_3_1_client_ids = false;
  /// 3.1.1 lets a server accept an empty client id with Clean Session 1 and assign one
  /// ([MQTT-3.1.3-6]); a server that does not answers CONNACK 2 ([MQTT-3.1.3-9]).
  bool accept_empty_client_id = true;
};

/// The CONNACK return code a server sends for a decoded CONNECT, as far as the packet alone
/// decides (credentials and server state are the caller's): identifier_rejected for a 3.1 id
/// that is empty or over 23 bytes (3.1 §3.1, §3.2), for a 3.1.1 empty id with Clean Session 0
/// ([MQTT-3.1.3-8]), and for an empty id the policy does not accept; accepted otherwise.
constexpr connect_return_code connack_code_for(const connect& c,
                                               const connect_policy& policy = {}) noexcept {
  if (c.client_id.empty()) {
    if (c.protocol == protocol_version::v3_1) return connect_return_code::identifier_rejected;
    if (!c.clean_session || !policy.accept_empty_client_id) {
      return connect_return_code::identifier_rejected;
    }
    return connect_return_code::accepted;
  }
  if (c.protocol == protocol_version::v3_1 && c.client_id.size() > 23 &&
      !policy.accept_long_3_1_client_ids) {
    return connect_return_code::identifier_rejected;
  }
  return connect_return_code::accepted;
}

/// The CONNACK that answers a decoded CONNECT in one call: the code of connack_code_for(c,
/// policy), or `refusal` when the caller refuses for its own reasons (credentials, server
/// state; accepted means no such refusal), and Session Present set only where 3.1.1 asks for it:
/// the connection is accepted with Clean Session 0 and the server held a session for the client
/// ([MQTT-3.2.2-1] .. [MQTT-3.2.2-4]); 3.1 has no Session Present. After a refusal the server
/// closes the connection ([MQTT-3.2.2-5]).
constexpr connack answer_connect(const connect& c, bool had_session,
                                 connect_return_code refusal = connect_return_code::accepted,
                                 const connect_policy& policy = {}) noexcept {
  connect_return_code code = connack_code_for(c, policy);
  if (code == connect_return_code::accepted) code = refusal;
  const bool accepted = code == connect_return_code::accepted;
  const bool present = accepted && had_session && !c.clean_session &&
                       c.protocol == protocol_version::v3_1_1;
  return connack{.session_present = present, .return_code = code};
}

/// The SUBACK return code for one requested subscription, in version `v`: the QoS granted is
/// the lower of the requested QoS and `maximum` (a server may grant less than asked,
/// [MQTT-3.8.4-6]); nullopt for `maximum` refuses the subscription, which is 0x80 in 3.1.1
/// ([MQTT-3.9.3-2]). MQTT 3.1 has no failure code: a refusal there is errc::invalid_suback_return_code
/// and the server must instead grant (for example QoS 0) or close the connection.
constexpr result<std::uint8_t> suback_code_for(qos_level requested, std::optional<qos_level> maximum,
                                               protocol_version v = protocol_version::v3_1_1) noexcept {
  if (!maximum) {
    if (v == protocol_version::v3_1) return error{errc::invalid_suback_return_code, 0};
    return suback_code::failure;
  }
  const auto granted = static_cast<unsigned>(requested) < static_cast<unsigned>(*maximum)
                           ? requested
                           : *maximum;
  return static_cast<std::uint8_t>(granted);
}

/// Checks a SUBACK against the SUBSCRIBE it answers: the same packet identifier
/// ([MQTT-2.3.1-7]) and one return code per filter ([MQTT-3.8.4-5]). Returns success,
/// packet_id_mismatch or return_code_count_mismatch.
constexpr errc check_reply(const subscribe& request, const suback& reply) noexcept {
  if (request.packet_id != reply.packet_id) return errc::packet_id_mismatch;
  if (request.subscriptions.size() != reply.return_codes.size()) {
    return errc::return_code_count_mismatch;
  }
  return errc::success;
}

/// Checks an UNSUBACK against its UNSUBSCRIBE: the same packet identifier ([MQTT-2.3.1-7]).
constexpr errc check_reply(const unsubscribe& request, const unsuback& reply) noexcept {
  return request.packet_id == reply.packet_id ? errc::success : errc::packet_id_mismatch;
}

}  // namespace mqttwire

#endif  // MQTTWIRE_RESPONSE_HPP
