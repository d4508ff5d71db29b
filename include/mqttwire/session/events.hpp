// SPDX-License-Identifier: MIT
// mqttwire: what a session reports to its application: events are plain structs, polled.
#ifndef MQTTWIRE_SESSION_EVENTS_HPP
#define MQTTWIRE_SESSION_EVENTS_HPP

#include "mqttwire/error.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/types.hpp"

#include <cstdint>
#include <optional>
#include <variant>

namespace mqttwire {

/// Where a session's connection is.
enum class link_state : std::uint8_t {
  disconnected,  ///< no connection (not yet opened, or it ended: see the closed event)
  connecting,    ///< client: CONNECT sent, CONNACK awaited; server: CONNECT awaited
  authorizing,   ///< server: CONNECT received, accept() or reject() awaited
  connected,     ///< CONNACK 0 sent or received
};

/// The events of client_session and server_session. Strings, payloads and lists are views:
/// into the session's input buffer (valid until the next prepare() or feed()), except
/// connect_requested::request, which the session keeps for as long as it lives.
namespace events {

/// Client: CONNACK accepted the connection. Messages kept for a resumed session have been
/// sent again.
struct connected {
  bool session_present = false;
  friend bool operator==(const connected&, const connected&) = default;
};
/// A PUBLISH from the peer, for the application (client) or for routing (server). QoS 2 is
/// delivered exactly once: resends before the PUBREL are acknowledged, not reported again.
struct message {
  publish msg{};
  friend bool operator==(const message&, const message&) = default;
};
/// A QoS 1 or 2 message this side published has been acknowledged (PUBACK, or PUBCOMP).
struct delivered {
  std::uint16_t packet_id = 0;
  qos_level qos = qos_level::at_least_once;
  friend bool operator==(const delivered&, const delivered&) = default;
};
/// Client: the SUBACK of a subscribe(): one code per filter, granted QoS or 0x80 (refused).
struct subscribed {
  std::uint16_t packet_id = 0;
  wire_list<std::uint8_t> return_codes{};
  friend bool operator==(const subscribed&, const subscribed&) = default;
};
/// Client: the UNSUBACK of an unsubscribe().
struct unsubscribed {
  std::uint16_t packet_id = 0;
  friend bool operator==(const unsubscribed&, const unsubscribed&) = default;
};
/// Client: the connection was quiet for the keep-alive, so a PINGREQ went out ([MQTT-3.1.2-23]).
struct keep_alive {
  friend bool operator==(const keep_alive&, const keep_alive&) = default;
};
/// Server: a client sent CONNECT that the packet alone does not refuse (connack_code_for):
/// answer with accept() or reject().
struct connect_requested {
  connect request{};
  friend bool operator==(const connect_requested&, const connect_requested&) = default;
};
/// Server: a SUBSCRIBE; answer with grant() ([MQTT-3.8.4-1]).
struct subscribe_requested {
  std::uint16_t packet_id = 0;
  wire_list<subscription> subscriptions{};
  friend bool operator==(const subscribe_requested&, const subscribe_requested&) = default;
};
/// Server: an UNSUBSCRIBE; the UNSUBACK has gone out ([MQTT-3.10.4-4], -5).
struct unsubscribe_requested {
  std::uint16_t packet_id = 0;
  wire_list<std::string_view> topic_filters{};
  friend bool operator==(const unsubscribe_requested&, const unsubscribe_requested&) = default;
};
/// Every packet received, before its own event, when the session's `report_packets` is on
/// (for logging and inspection).
struct packet_received {
  packet pkt{};
  friend bool operator==(const packet_received&, const packet_received&) = default;
};
/// The connection ended; the last event of a connection. `reason` is {success} after a
/// DISCONNECT (sent by a client, received by a server) and otherwise the cause with its
/// offset: a decode error (stream offset of the bad packet), unexpected_packet,
/// keep_alive_timeout (the peer is dead), connect_timeout, connection_lost,
/// connection_refused (with `refusal`), session_taken_over, too_many_unreleased. Output still
/// pending (a CONNACK refusal, say) should be written before closing the socket. Server:
/// `publish_will` says the will of the CONNECT must be published now ([MQTT-3.1.2-8]): the
/// connection was accepted and ended without DISCONNECT ([MQTT-3.14.4-3]).
struct closed {
  error reason{};
  std::optional<connect_return_code> refusal{};
  bool publish_will = false;
  friend bool operator==(const closed&, const closed&) = default;
};

}  // namespace events

using client_event = std::variant<events::connected, events::message, events::delivered,
                                  events::subscribed, events::unsubscribed, events::keep_alive,
                                  events::packet_received, events::closed>;
using server_event = std::variant<events::connect_requested, events::message, events::delivered,
                                  events::subscribe_requested, events::unsubscribe_requested,
                                  events::packet_received, events::closed>;

}  // namespace mqttwire

#endif  // MQTTWIRE_SESSION_EVENTS_HPP
