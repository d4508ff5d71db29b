// SPDX-License-Identifier: MIT
// Must not compile: encode_array of a PUBLISH whose topic name contains '+' ([MQTT-3.3.2-2]).
// With -DMQTTWIRE_CONTROL the topic is a plain name and the file must compile.
#include <mqttwire/encode.hpp>

#ifdef MQTTWIRE_CONTROL
static constexpr mqttwire::publish kPacket{.topic = "sensors/1/temp", .payload = "21"};
#else
static constexpr mqttwire::publish kPacket{.topic = "sensors/+/temp", .payload = "21"};
#endif

constexpr auto wire = mqttwire::encode_array<kPacket>();
static_assert(wire.size() == 20);
