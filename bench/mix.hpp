// SPDX-License-Identifier: MIT
// The fixed packet mix P1..P7 of issue 6, defined once for the Catch2 benchmarks and bench/ops.
#ifndef MQTTWIRE_BENCH_MIX_HPP
#define MQTTWIRE_BENCH_MIX_HPP

#include <mqttwire/mqttwire.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

namespace mqttwire_bench {

inline constexpr std::string_view topic = "vehicles/1234/position";  // 22 bytes

// 64 KiB of opaque payload bytes; P1..P3 take their payloads from its front. The contents are
// not ASCII on purpose: the payload is binary and a decoder must not look at it.
inline const char* payload_bytes() {
  static const std::array<char, 65'536> bytes = [] {
    std::array<char, 65'536> b{};
    std::uint32_t x = 0x9E3779B9u;
    for (char& c : b) {
      x = x * 1'664'525u + 1'013'904'223u;  // a fixed LCG: the same bytes on every run
      c = static_cast<char>(x >> 24);
    }
    return b;
  }();
  return bytes.data();
}

inline mqttwire::publish make_publish(mqttwire::qos_level q, std::size_t payload_size) {
  mqttwire::publish p{};
  p.qos = q;
  p.topic = topic;
  if (q != mqttwire::qos_level::at_most_once) p.packet_id = 7;
  p.payload = std::string_view(payload_bytes(), payload_size);
  return p;
}

/// P1 PUBLISH QoS 0, payload 64 bytes.
inline mqttwire::publish p1() { return make_publish(mqttwire::qos_level::at_most_once, 64); }
/// P2 PUBLISH QoS 1, packet id 7, payload 1,024 bytes.
inline mqttwire::publish p2() { return make_publish(mqttwire::qos_level::at_least_once, 1'024); }
/// P3 PUBLISH QoS 1, packet id 7 (the issue fixes none; P2's is reused), payload 65,536 bytes.
inline mqttwire::publish p3() { return make_publish(mqttwire::qos_level::at_least_once, 65'536); }

/// P4 CONNECT 3.1.1 with a will, a username and a password.
inline mqttwire::connect p4() {
  mqttwire::connect c{};
  c.protocol = mqttwire::protocol_version::v3_1_1;
  c.clean_session = true;
  c.keep_alive = 60;
  c.client_id = "traffic-gen-0001";
  c.will = mqttwire::last_will{"vehicles/1234/status", "offline", mqttwire::qos_level::at_least_once,
                               true};
  c.username = "user";
  c.password = "secret";
  return c;
}

inline constexpr std::array<mqttwire::subscription, 3> p5_subscriptions{{
    {"vehicles/+/position", mqttwire::qos_level::at_most_once},
    {"vehicles/#", mqttwire::qos_level::at_least_once},
    {"alerts/speed", mqttwire::qos_level::exactly_once},
}};

/// P5 SUBSCRIBE packet id 10 with three filters.
inline mqttwire::subscribe p5() {
  mqttwire::subscribe s{};
  s.packet_id = 10;
  s.subscriptions = p5_subscriptions;
  return s;
}

/// P6 PUBACK packet id 7.
inline mqttwire::puback p6() { return mqttwire::puback{7}; }
/// P7 PINGREQ.
inline mqttwire::pingreq p7() { return mqttwire::pingreq{}; }

inline constexpr std::array<std::string_view, 7> case_names{"P1", "P2", "P3", "P4",
                                                            "P5", "P6", "P7"};

/// Calls f(name, packet) for P1..P7 in order, each with its own struct type, so that encode is
/// measured on the concrete type (as callers use it) and not through the variant.
template <class F>
void for_each_case(F&& f) {
  f(std::string_view("P1"), p1());
  f(std::string_view("P2"), p2());
  f(std::string_view("P3"), p3());
  f(std::string_view("P4"), p4());
  f(std::string_view("P5"), p5());
  f(std::string_view("P6"), p6());
  f(std::string_view("P7"), p7());
}

/// Calls f(packet) for the case named `name`; false if there is no such case.
template <class F>
bool with_case(std::string_view name, F&& f) {
  bool found = false;
  for_each_case([&](std::string_view n, const auto& p) {
    if (n == name) {
      found = true;
      f(p);
    }
  });
  return found;
}

/// The wire bytes of a packet (set-up only: allocates).
template <class P>
std::vector<char> wire_of(const P& p) {
  std::vector<char> out;
  const auto r = mqttwire::encode_to(p, std::back_inserter(out));
  if (r.ec != mqttwire::errc::success) out.clear();
  return out;
}

/// The `framer stream` input: P1..P7 repeated in order until 16 MiB are reached (the last
/// packet is whole, so the stream is a bit longer). `packets` receives the packet count.
inline std::vector<char> make_stream(std::size_t& packets) {
  constexpr std::size_t target = std::size_t{16} << 20;
  std::vector<std::vector<char>> wires;
  for_each_case([&](std::string_view, const auto& p) { wires.push_back(wire_of(p)); });
  std::vector<char> stream;
  stream.reserve(target + (std::size_t{70} << 10));
  packets = 0;
  while (stream.size() < target) {
    const auto& w = wires[packets % wires.size()];
    stream.insert(stream.end(), w.begin(), w.end());
    ++packets;
  }
  return stream;
}

inline constexpr std::size_t stream_chunk = 4'096;

/// Keeps the optimiser from deleting or hoisting work: the pointed-to memory is treated as read
/// and written by code it cannot see. Each compiler gets the operand form that costs it nothing:
/// with "g" clang stores the pointer to the stack first, and with "r" g++ loads addresses it
/// could have used as constants (about two instructions a pass either way, the harness's own).
inline void escape(const void* p) {
#if defined(__clang__)
  asm volatile("" : : "r"(p) : "memory");
#else
  asm volatile("" : : "g"(p) : "memory");
#endif
}
/// Treats all memory as read and written, e.g. so loop-invariant loads are redone.
inline void clobber() { asm volatile("" : : : "memory"); }

}  // namespace mqttwire_bench

#endif  // MQTTWIRE_BENCH_MIX_HPP
