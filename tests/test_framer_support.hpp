// SPDX-License-Identifier: MIT
// Test support for the framer: seeded random packet streams, the decode-loop oracle, a driver.
#ifndef MQTTWIRE_TESTS_TEST_FRAMER_SUPPORT_HPP
#define MQTTWIRE_TESTS_TEST_FRAMER_SUPPORT_HPP

#include <mqttwire/decode.hpp>
#include <mqttwire/encode.hpp>
#include <mqttwire/framer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace framer_test {

using namespace mqttwire;

inline bytes_view view(std::string_view s) { return {s.data(), s.size()}; }
inline bytes_view view(const std::vector<char>& s) { return {s.data(), s.size()}; }

// A seeded generator; the helpers use only operator() and modulo so that a seed gives the same
// stream with every standard library (distributions are implementation-defined).
struct rng {
  std::mt19937_64 engine;
  explicit rng(std::uint64_t seed) : engine(seed) {}
  std::uint64_t operator()(std::uint64_t n) { return n == 0 ? 0 : engine() % n; }
  bool coin(std::uint64_t one_in = 2) { return (*this)(one_in) == 0; }
};

// Random valid packets, encoded with mqttwire::encode_to. Strings live in `pool` while encoding.
class stream_builder {
 public:
  stream_builder(std::uint64_t seed, protocol_version v) : r_(seed), v_(v) {}

  std::string level() {
    static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_ ";
    std::string s;
    const std::size_t n = r_(6);
    for (std::size_t i = 0; i < n; ++i) s += alphabet[r_(alphabet.size())];
    return s;
  }
  std::string topic_name() {
    std::string t = r_.coin(10) ? "$SYS" : level();
    const std::size_t levels = r_(4);
    for (std::size_t i = 0; i < levels; ++i) {
      t += '/';  // appended apart: g++ 12 -O3 gives a false -Wrestrict for "/" + string
      t += level();
    }
    if (t.empty()) t = "t";
    return t;
  }
  std::string topic_filter() {
    std::string f;
    const std::size_t levels = 1 + r_(4);
    for (std::size_t i = 0; i < levels; ++i) {
      if (i) f += '/';
      f += r_.coin(4) ? std::string("+") : level();
    }
    if (r_.coin(4)) f += f.empty() ? "#" : "/#";
    if (f.empty()) f = "#";
    return f;
  }
  std::string bytes(std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(r_(256));
    return s;
  }
  std::uint16_t id() { return static_cast<std::uint16_t>(1 + r_(65'535)); }
  std::string_view keep(std::string s) { return pool_.emplace_back(std::move(s)); }

  // The payload size: usually small, sometimes large enough for 3- and 4-byte lengths' neighbours.
  std::size_t payload_size() {
    switch (r_(20)) {
      case 0: return 16'384 + r_(40'000);
      case 1: return 128 + r_(300);
      default: return r_(100);
    }
  }

  packet random_packet() {
    switch (r_(14)) {
      case 0: {
        connect c{};
        c.protocol = v_;
        c.clean_session = r_.coin();
        c.keep_alive = static_cast<std::uint16_t>(r_(65'536));
        c.client_id = keep("c" + level());
        if (r_.coin()) {
          c.will = last_will{keep(topic_name()), keep(bytes(r_(50))),
                             static_cast<qos_level>(r_(3)), r_.coin()};
        }
        if (r_.coin()) {
          c.username = keep(level());
          if (r_.coin()) c.password = keep(bytes(r_(20)));
        }
        return c;
      }
      case 1: {
        connack c{};
        c.return_code = static_cast<connect_return_code>(r_(6));
        c.session_present =
            v_ == protocol_version::v3_1_1 && c.return_code == connect_return_code::accepted && r_.coin();
        return c;
      }
      case 2:
      case 3:
      case 4: {
        publish p{};
        p.qos = static_cast<qos_level>(r_(3));
        if (p.qos != qos_level::at_most_once) {
          p.packet_id = id();
          p.dup = r_.coin();
        }
        p.retain = r_.coin();
        p.topic = keep(topic_name());
        p.payload = keep(bytes(payload_size()));
        return p;
      }
      case 5: return puback{id()};
      case 6: return pubrec{id()};
      case 7: return pubrel{id(), v_ == protocol_version::v3_1 && r_.coin()};
      case 8: return pubcomp{id()};
      case 9: {
        auto& subs = sub_pool_.emplace_back();
        const std::size_t n = 1 + r_(4);
        for (std::size_t i = 0; i < n; ++i) {
          subs.push_back({keep(topic_filter()), static_cast<qos_level>(r_(3))});
        }
        subscribe s{};
        s.packet_id = id();
        s.dup = v_ == protocol_version::v3_1 && r_.coin();
        s.subscriptions = std::span<const subscription>(subs);
        return s;
      }
      case 10: {
        auto& codes = code_pool_.emplace_back();
        const std::size_t n = 1 + r_(5);
        for (std::size_t i = 0; i < n; ++i) {
          const bool fail = v_ == protocol_version::v3_1_1 && r_.coin(5);
          codes.push_back(fail ? suback_code::failure : static_cast<std::uint8_t>(r_(3)));
        }
        return suback{id(), std::span<const std::uint8_t>(codes)};
      }
      case 11: {
        auto& filters = filter_pool_.emplace_back();
        const std::size_t n = 1 + r_(4);
        for (std::size_t i = 0; i < n; ++i) filters.push_back(keep(topic_filter()));
        unsubscribe u{};
        u.packet_id = id();
        u.dup = v_ == protocol_version::v3_1 && r_.coin();
        u.topic_filters = std::span<const std::string_view>(filters);
        return u;
      }
      case 12: return r_.coin() ? packet{pingreq{}} : packet{pingresp{}};
      default: return disconnect{};
    }
  }

  // Appends one valid packet to `out`; returns its size.
  std::size_t append_packet(std::vector<char>& out) {
    const std::size_t before = out.size();
    const packet p = random_packet();
    const auto r = encode_to(p, std::back_inserter(out), v_);
    if (r.ec != errc::success) {
      throw std::logic_error("generator made an invalid packet: " + std::string(to_string(r.ec)));
    }
    return out.size() - before;
  }

  std::vector<char> stream(std::size_t packets) {
    std::vector<char> out;
    for (std::size_t i = 0; i < packets; ++i) append_packet(out);
    return out;
  }

  rng& random() { return r_; }

 private:
  rng r_;
  protocol_version v_;
  std::deque<std::string> pool_;
  std::deque<std::vector<subscription>> sub_pool_;
  std::deque<std::vector<std::uint8_t>> code_pool_;
  std::deque<std::vector<std::string_view>> filter_pool_;
};

// What a loop of decode() calls over the whole stream gives: the oracle for the framer.
struct reference {
  std::vector<packet> packets;        // views into the stream
  std::vector<std::uint64_t> starts;  // stream offset of each packet
  error end{};                        // success, incomplete at the partial packet, or the fault
  std::uint64_t fault = 0;            // stream offset of the faulty byte
};

inline reference decode_loop(bytes_view stream, protocol_version v, const options& opts = {}) {
  reference ref;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto d = decode(stream.subspan(pos), v, opts);
    if (!d) {
      ref.end = {d.code(), pos};
      ref.fault = d.code() == errc::incomplete ? 0 : pos + d.error().offset;
      break;
    }
    ref.packets.push_back(d->pkt);
    ref.starts.push_back(pos);
    pos += d->size;
  }
  return ref;
}

// Hands `stream` to `f` in random chunks (randomly through prepare/commit or feed), draining
// next() after each, and compares everything with the oracle. Returns "" or the first mismatch.
template <class Framer>
std::string drive(Framer& f, bytes_view stream, const reference& ref, rng& r,
                  std::size_t max_chunk) {
  std::size_t pos = 0, got = 0;
  bool failed = false;
  const auto describe = [&](std::string what) {
    return what + " (packet " + std::to_string(got) + ", stream byte " + std::to_string(pos) + ")";
  };
  while (pos < stream.size()) {
    const std::size_t want = std::min<std::size_t>(1 + r(max_chunk), stream.size() - pos);
    if (r.coin()) {
      const std::span<char> space = f.prepare(want);
      const std::size_t n = std::min(space.size(), want);
      std::copy(stream.data() + pos, stream.data() + pos + n, space.data());
      f.commit(n);
      pos += n;
    } else {
      pos += f.feed(stream.subspan(pos, want));
    }
    for (;;) {
      const result<packet> p = f.next();
      if (p) {
        if (failed) return describe("a packet after a sticky error");
        if (got >= ref.packets.size()) return describe("more packets than decode gives");
        if (!(*p == ref.packets[got])) return describe("a packet differs from decode's");
        if (f.packet_offset() != ref.starts[got]) return describe("packet_offset differs");
        ++got;
        continue;
      }
      if (p.code() == errc::incomplete) {
        if (failed) return describe("incomplete after a sticky error");
        if (p.error().offset != f.received()) return describe("incomplete offset is not the end");
        break;
      }
      if (p.error() != ref.end) {
        return describe("error " + std::string(to_string(p.code())) + " at " +
                        std::to_string(p.error().offset) + ", decode gives " +
                        std::string(to_string(ref.end.code)) + " at " +
                        std::to_string(ref.end.offset));
      }
      if (f.fault_offset() != ref.fault) return describe("fault_offset differs");
      if (got != ref.packets.size()) return describe("error before decode's");
      failed = true;
      // Sticky: the same error again, whatever else arrives.
      const result<packet> again = f.next();
      if (again || again.error() != ref.end) return describe("the error is not sticky");
      break;
    }
  }
  if (got != ref.packets.size()) return describe("fewer packets than decode gives");
  if (f.end_of_stream() != ref.end) return describe("end_of_stream differs");
  if (f.idle() != (ref.end.code == errc::success)) return describe("idle() differs");
  return {};
}

}  // namespace framer_test

#endif  // MQTTWIRE_TESTS_TEST_FRAMER_SUPPORT_HPP
