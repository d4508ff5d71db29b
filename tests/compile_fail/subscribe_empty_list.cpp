// SPDX-License-Identifier: MIT
// Must not compile: encode_array of a SUBSCRIBE without topic filters ([MQTT-3.8.3-3]).
// With -DMQTTWIRE_CONTROL the list has one entry and the file must compile.
#include <mqttwire/encode.hpp>

#ifdef MQTTWIRE_CONTROL
static constexpr mqttwire::subscription kList[] = {{"a/b", mqttwire::qos_level::at_least_once}};
static constexpr mqttwire::subscribe kPacket{.packet_id = 1, .subscriptions = kList};
#else
static constexpr mqttwire::subscribe kPacket{.packet_id = 1};
#endif

constexpr auto wire = mqttwire::encode_array<kPacket>();
static_assert(wire.size() >= 5);
