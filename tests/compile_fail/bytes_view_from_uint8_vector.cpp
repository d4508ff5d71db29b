// SPDX-License-Identifier: MIT
// Must not compile: decoding straight from unsigned bytes; the input is `char` (so decoded
// strings can be string_views in constant expressions) and as_chars() makes the conversion.
// With -DMQTTWIRE_CONTROL the buffer goes through as_chars and the file must compile.
#include <mqttwire/decode.hpp>

#include <cstdint>
#include <vector>

bool decodes(const std::vector<std::uint8_t>& buffer) {
#ifdef MQTTWIRE_CONTROL
  return mqttwire::decode(mqttwire::as_chars(buffer)).has_value();
#else
  return mqttwire::decode(buffer).has_value();
#endif
}
