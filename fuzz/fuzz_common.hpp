// SPDX-License-Identifier: MIT
// mqttwire fuzzing: the input reader and the failure report shared by every fuzz target.
#ifndef MQTTWIRE_FUZZ_COMMON_HPP
#define MQTTWIRE_FUZZ_COMMON_HPP

#include <mqttwire/error.hpp>
#include <mqttwire/options.hpp>
#include <mqttwire/types.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

// Reads fuzzer bytes from the front. We do not use libFuzzer's FuzzedDataProvider because the
// targets must also build with g++ (replay_main.cpp), where that header is not installed.
// An exhausted input reads as zeros, so every byte string is a valid input.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  std::size_t remaining() const noexcept { return size_ - pos_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  bool flag() noexcept { return (byte() & 1u) != 0; }
  std::uint16_t u16() noexcept {
    const unsigned hi = byte();
    return static_cast<std::uint16_t>((hi << 8) | byte());
  }
  // Up to `n` bytes, fewer if the input ends first.
  std::string_view bytes(std::size_t n) noexcept {
    if (n > remaining()) n = remaining();
    const std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  // A short length-prefixed chunk (one length byte): the common case for names and payloads.
  std::string_view short_bytes() noexcept { return bytes(byte()); }
  std::string_view rest() noexcept { return bytes(remaining()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline void print_hex(const char* label, std::string_view bytes) {
  std::fprintf(stderr, "%s (%zu bytes):", label, bytes.size());
  const std::size_t shown = bytes.size() < 512 ? bytes.size() : 512;
  for (std::size_t i = 0; i < shown; ++i) {
    std::fprintf(stderr, "%s%02x", i % 32 == 0 ? "\n  " : " ",
                 static_cast<unsigned>(static_cast<unsigned char>(bytes[i])));
  }
  std::fprintf(stderr, "%s\n", shown < bytes.size() ? "\n  ..." : "");
}

// An oracle violation: say which, then abort so libFuzzer saves the input as a crash file and
// the replay test fails.
[[noreturn]] inline void fail(const char* what, std::string_view input_bytes) {
  std::fprintf(stderr, "mqttwire fuzz oracle violated: %s\n", what);
  print_hex("input", input_bytes);
  std::abort();
}

inline void expect(bool ok, const char* what, std::string_view input_bytes) {
  if (!ok) fail(what, input_bytes);
}

// Five independent strictness switches from the bits of one byte.
inline mqttwire::options options_from(std::uint8_t bits) noexcept {
  mqttwire::options o;
  o.reject_non_minimal_length = (bits & 0x01u) != 0;
  o.reject_control_characters = (bits & 0x02u) != 0;
  o.strict_3_1 = (bits & 0x04u) != 0;
  o.tolerate_dup_with_qos0 = (bits & 0x08u) != 0;
  o.tolerate_connack_reserved_flags = (bits & 0x10u) != 0;
  o.tolerate_session_present_with_error = (bits & 0x20u) != 0;
  return o;
}

inline mqttwire::protocol_version version_from(std::uint8_t bit) noexcept {
  return (bit & 1u) != 0 ? mqttwire::protocol_version::v3_1 : mqttwire::protocol_version::v3_1_1;
}

inline const char* name_of(mqttwire::errc e) noexcept {
  return mqttwire::to_string(e).data();  // the table's names are literals, so NUL-terminated
}

}  // namespace fuzz

#endif  // MQTTWIRE_FUZZ_COMMON_HPP
