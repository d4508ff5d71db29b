// SPDX-License-Identifier: MIT
// Must not compile: encode_array of a QoS 0 PUBLISH with a packet id ([MQTT-2.3.1-5]).
// With -DMQTTWIRE_CONTROL the packet is valid and the file must compile.
#include <mqttwire/encode.hpp>

#ifdef MQTTWIRE_CONTROL
static constexpr mqttwire::publish kPacket{.qos = mqttwire::qos_level::at_least_once, .topic = "a/b",
                                           .packet_id = 1};
#else
static constexpr mqttwire::publish kPacket{.qos = mqttwire::qos_level::at_most_once, .topic = "a/b",
                                           .packet_id = 1};
#endif

constexpr auto wire = mqttwire::encode_array<kPacket>();
static_assert(wire.size() == 9);
