// SPDX-License-Identifier: MIT
// Must not compile: encode_array of a 3.1 SUBACK with the 3.1.1-only failure code 0x80.
// With -DMQTTWIRE_CONTROL the same SUBACK is encoded for 3.1.1, where 0x80 is valid.
#include <mqttwire/encode.hpp>

#include <cstdint>

static constexpr std::uint8_t kCodes[] = {0x01, 0x80};
static constexpr mqttwire::suback kPacket{.packet_id = 1, .return_codes = kCodes};
#ifdef MQTTWIRE_CONTROL
constexpr auto version = mqttwire::protocol_version::v3_1_1;
#else
constexpr auto version = mqttwire::protocol_version::v3_1;
#endif

constexpr auto wire = mqttwire::encode_array<kPacket, version>();
static_assert(wire.size() == 6);
