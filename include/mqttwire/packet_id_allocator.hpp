// SPDX-License-Identifier: MIT
// mqttwire: free non-zero packet identifiers for the in-flight messages of one session.
#ifndef MQTTWIRE_PACKET_ID_ALLOCATOR_HPP
#define MQTTWIRE_PACKET_ID_ALLOCATOR_HPP

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace mqttwire {

/// Hands out packet identifiers for QoS 1/2 PUBLISH, SUBSCRIBE and UNSUBSCRIBE of one session and
/// one direction (spec reference §2.6): never 0 ([MQTT-2.3.1-1]; 3.1 §2.4), never one still in
/// flight, in rising order from the last one handed out, wrapping from 65,535 to 1 (so a
/// just-released id is not reused at once, which helps when a late duplicate arrives). A bitset of
/// 65,536 bits (8 KiB): no allocation, constexpr, amortised O(1) per call.
class packet_id_allocator {
 public:
  /// Number of identifiers that can be in flight at once: 1..65,535.
  static constexpr std::size_t capacity = 65'535;

  /// A free identifier, now marked in use; nullopt when all 65,535 are in flight.
  constexpr std::optional<std::uint16_t> allocate() noexcept {
    if (count_ == capacity) return std::nullopt;
    // Scan word by word from the cursor; full words are skipped 64 ids at a time.
    std::size_t id = next_;
    for (;;) {
      const std::size_t word = id / 64;
      const std::uint64_t free_bits = ~bits_[word] >> (id % 64);
      if (free_bits != 0) {
        id += static_cast<std::size_t>(std::countr_zero(free_bits));
        break;
      }
      id = (word + 1) * 64;
      if (id > capacity) id = 1;  // wrap; bit 0 is kept set, so 0 is never handed out
    }
    mark(id);
    next_ = id == capacity ? 1 : id + 1;
    return static_cast<std::uint16_t>(id);
  }

  /// Marks a given identifier in use, e.g. when a session is restored with messages in flight.
  /// Returns false for 0 or an identifier already in use.
  constexpr bool reserve(std::uint16_t id) noexcept {
    if (id == 0 || in_use(id)) return false;
    mark(id);
    return true;
  }

  /// Frees an identifier once its flow is complete (PUBACK, PUBCOMP, SUBACK, UNSUBACK).
  /// Returns false if it was not in use (e.g. an acknowledgement for an unknown id).
  constexpr bool release(std::uint16_t id) noexcept {
    if (id == 0 || !in_use(id)) return false;
    bits_[id / 64] &= ~(std::uint64_t{1} << (id % 64));
    --count_;
    return true;
  }

  /// True while `id` is in flight. 0 is never in use.
  constexpr bool in_use(std::uint16_t id) const noexcept {
    return id != 0 && ((bits_[id / 64] >> (id % 64)) & 1u) != 0;
  }

  /// Number of identifiers in flight.
  constexpr std::size_t in_flight() const noexcept { return count_; }
  constexpr bool full() const noexcept { return count_ == capacity; }
  constexpr bool empty() const noexcept { return count_ == 0; }

  /// Frees every identifier (a clean session starts over); the cursor goes back to 1.
  constexpr void clear() noexcept {
    bits_ = {};
    bits_[0] = 1;
    count_ = 0;
    next_ = 1;
  }

 private:
  constexpr void mark(std::size_t id) noexcept {
    bits_[id / 64] |= std::uint64_t{1} << (id % 64);
    ++count_;
  }

  std::array<std::uint64_t, 1024> bits_{1};  // bit 0 = id 0, permanently "in use"
  std::size_t count_ = 0;                     // ids in flight, 0 excluded
  std::size_t next_ = 1;                      // where the next search starts
};

}  // namespace mqttwire

#endif  // MQTTWIRE_PACKET_ID_ALLOCATOR_HPP
