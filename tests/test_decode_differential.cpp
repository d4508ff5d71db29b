// SPDX-License-Identifier: MIT
// The fast decode paths against the exact path: seeded random and mutated packets of every type,
// decoded by decode_into (packet& and the typed form) and by detail::decode_exact, must give
// the same errc, the same size or offset, and the same fields.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace mqttwire_test {
namespace {

// splitmix64: the same sequence on every platform.
class diff_rng {
 public:
  explicit diff_rng(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) noexcept { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool one_in(std::size_t n) noexcept { return below(n) == 0; }

 private:
  std::uint64_t s_;
};

// Text that is mostly what the fast paths accept (ASCII, levels, wildcards), with now and then
// a byte or sequence only the exact path can judge: NUL, controls, U+007F, two- and three-byte
// UTF-8, a surrogate, a non-character, a stray continuation byte, 0xFF.
std::string random_text(diff_rng& r, std::size_t n) {
  static constexpr std::string_view plain = "abcdefxyz0123456789/////-_.$ ";
  static constexpr std::string_view odd[] = {
      "\x00"sv, "\x01"sv, "\x1F"sv, "\x7F"sv, "\xC3\xA9"sv, "\xC2\x80"sv, "\xE2\x82\xAC"sv,
      "\xED\xA0\x80"sv, "\xEF\xBF\xBF"sv, "\xEF\xB7\x90"sv, "\x80"sv, "\xFF"sv, "\xC0\xAF"sv,
      "\xF0\x9F\x98\x80"sv};
  const bool clean = r.one_in(2);
  std::string s;
  while (s.size() < n) {
    const std::size_t k = r.below(100);
    if (k < 6) {
      s += '+';
    } else if (k < 9) {
      s += '#';
    } else if (!clean && k < 12) {
      s += odd[r.below(std::size(odd))];
    } else {
      s += plain[r.below(plain.size())];
    }
  }
  return s;
}

// Lengths that reach every branch of the vector checks (0, 1-3, 4-7, 8-15, 16-32, longer).
std::size_t random_length(diff_rng& r) {
  switch (r.below(8)) {
    case 0: return r.below(4);
    case 1: return 4 + r.below(4);
    case 2: return 8 + r.below(8);
    case 3: return 16 + r.below(17);
    case 4: return 33 + r.below(60);
    case 5: return r.one_in(16) ? 200 + r.below(400) : r.below(40);
    default: return 1 + r.below(24);
  }
}

void put16(std::string& out, std::size_t v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}
void put_field(std::string& out, std::string_view s) {
  put16(out, s.size());
  out += s;
}
std::string framed(unsigned first, std::string_view body, bool padded_length) {
  std::string out(1, static_cast<char>(first));
  std::size_t len = body.size();
  std::size_t digits = 0;
  do {
    unsigned char d = static_cast<unsigned char>(len % 128);
    len /= 128;
    ++digits;
    if (len > 0 || (padded_length && digits == 1)) d = static_cast<unsigned char>(d | 0x80);
    out += static_cast<char>(d);
    if (padded_length && len == 0 && digits == 1) out += '\0';  // a non-minimal length
  } while (len > 0);
  out += body;
  return out;
}

std::string random_packet(diff_rng& r, protocol_version v) {
  std::string body;
  unsigned first = 0;
  const std::size_t id = r.one_in(20) ? 0 : 1 + r.below(65535);
  switch (r.below(10)) {
    case 0: {  // PUBLISH
      const unsigned q = static_cast<unsigned>(r.below(r.one_in(20) ? 4 : 3));
      first = 0x30u | (q << 1) | (r.one_in(4) ? 8u : 0u) | (r.one_in(2) ? 1u : 0u);
      put_field(body, random_text(r, random_length(r)));
      if (q != 0) put16(body, id);
      body += random_text(r, r.below(40));
      break;
    }
    case 1:
    case 2: {  // SUBSCRIBE, UNSUBSCRIBE
      const bool sub = r.one_in(2);
      first = (sub ? 0x80u : 0xA0u) | (r.one_in(16) ? static_cast<unsigned>(r.below(16)) : 2u);
      put16(body, id);
      const std::size_t k = r.one_in(20) ? 0 : 1 + r.below(4);
      for (std::size_t i = 0; i < k; ++i) {
        put_field(body, random_text(r, random_length(r)));
        if (sub) body += static_cast<char>(r.one_in(10) ? r.below(256) : r.below(3));
      }
      break;
    }
    case 3: {  // CONNECT
      first = r.one_in(20) ? 0x11u : 0x10u;
      const bool old = v == protocol_version::v3_1 ? !r.one_in(8) : r.one_in(8);
      put_field(body, old ? "MQIsdp" : (r.one_in(30) ? "MQTX" : "MQTT"));
      body += static_cast<char>(old ? 3 : (r.one_in(30) ? 5 : 4));
      unsigned flags = static_cast<unsigned>(r.below(256));
      if (!r.one_in(4)) {
        flags &= 0xFEu;  // reserved bit clear
        if ((flags & 0x04u) == 0) flags &= ~0x38u;
        if ((flags & 0x18u) == 0x18u) flags &= ~0x10u;
        if ((flags & 0x80u) == 0) flags &= ~0x40u;
      }
      body += static_cast<char>(flags);
      put16(body, r.below(65536));
      put_field(body, random_text(r, r.below(4) == 0 ? 0 : random_length(r) % 30));
      if ((flags & 0x04u) != 0) {
        put_field(body, random_text(r, random_length(r)));
        put_field(body, random_text(r, r.below(20)));
      }
      if ((flags & 0x80u) != 0) put_field(body, random_text(r, random_length(r)));
      if ((flags & 0x40u) != 0) put_field(body, random_text(r, r.below(20)));
      break;
    }
    case 4: {  // CONNACK
      first = 0x20u;
      body += static_cast<char>(r.one_in(4) ? r.below(256) : r.below(2));
      body += static_cast<char>(r.one_in(4) ? r.below(256) : r.below(6));
      break;
    }
    case 5:
    case 6: {  // the acks
      static constexpr unsigned firsts[] = {0x40u, 0x50u, 0x62u, 0x70u, 0xB0u};
      first = firsts[r.below(std::size(firsts))];
      if (r.one_in(16)) first = (first & 0xF0u) | static_cast<unsigned>(r.below(16));
      put16(body, id);
      break;
    }
    case 7: {  // SUBACK
      first = 0x90u;
      put16(body, id);
      const std::size_t k = r.below(6);
      for (std::size_t i = 0; i < k; ++i) {
        body += static_cast<char>(r.one_in(8) ? r.below(256) : (r.one_in(4) ? 0x80 : r.below(3)));
      }
      break;
    }
    case 8: {  // PINGREQ, PINGRESP, DISCONNECT
      static constexpr unsigned firsts[] = {0xC0u, 0xD0u, 0xE0u};
      first = firsts[r.below(std::size(firsts))];
      if (r.one_in(16)) body += 'x';
      break;
    }
    default: {  // anything
      first = static_cast<unsigned>(r.below(256));
      body = random_text(r, r.below(12));
      break;
    }
  }
  std::string wire = framed(first, body, r.one_in(30));
  // Mutations: a byte changed, a byte inserted or removed, the packet cut short, bytes after it.
  if (r.one_in(2)) {
    const std::size_t k = 1 + r.below(3);
    for (std::size_t i = 0; i < k && !wire.empty(); ++i) {
      const std::size_t at = r.below(wire.size());
      static constexpr char interesting[] = {'\0', '\x01', '#', '+', '/', '\x7F', '\x80', '\xC3',
                                             '\xFF', 'a', '\x02', '\x10'};
      switch (r.below(5)) {
        case 0: wire[at] = static_cast<char>(r.below(256)); break;
        case 1: wire[at] = interesting[r.below(std::size(interesting))]; break;
        case 2: wire.insert(wire.begin() + static_cast<std::ptrdiff_t>(at), interesting[r.below(std::size(interesting))]); break;
        case 3: wire.erase(at, 1); break;
        default: wire.resize(at); break;
      }
    }
  }
  if (r.one_in(8)) wire += random_text(r, 1 + r.below(6));
  return wire;
}

// encode, encoded_size and validate (fast at run time) against the exact encoder, for a packet
// under one version and option set. Returns what disagreed, or nullptr.
const char* encode_agrees_with_exact(const packet& p, protocol_version v, const options& opts) {
  return std::visit(
      [&](const auto& alt) -> const char* {
        const auto exact = mqttwire::detail::checked_body_exact(alt, v, opts);
        if (validate(alt, v, opts) != exact.ec) return "validate";
        const auto size = encoded_size(alt, v, opts);
        if (exact.ec != errc::success) {
          if (size || size.code() != exact.ec) return "encoded_size of an invalid packet";
        } else if (!size || *size != 1 + mqttwire::detail::varint_size(exact.body) + exact.body) {
          return "encoded_size";
        }
        std::string fast_out(size ? *size : 8, '\x55');
        std::string exact_out = fast_out;
        const auto a = encode(alt, std::span<char>(fast_out.data(), fast_out.size()), v, opts);
        const auto b = mqttwire::detail::encode_exact(
            alt, std::span<char>(exact_out.data(), exact_out.size()), v, opts);
        if (a.has_value() != b.has_value()) return "encode outcome";
        if (a ? *a != *b : a.code() != b.code()) return "encode result";
        if (fast_out != exact_out) return "encode bytes";
        if (size && !fast_out.empty()) {  // one byte short: refused, nothing written
          std::string small(*size - 1, '\x55');
          const auto c = encode(alt, std::span<char>(small.data(), small.size()), v, opts);
          if (c || c.code() != errc::buffer_too_small || small != std::string(*size - 1, '\x55')) {
            return "encode into a buffer one byte short";
          }
        }
        return nullptr;
      },
      p);
}

// The exact path into a packet and into the typed struct, against decode_into (fast at run
// time). Returns what disagreed, or nullptr.
const char* fast_agrees_with_exact(std::string_view wire, protocol_version v, const options& opts) {
  const exact_buffer in(wire);
  packet want{};
  const decode_result expected =
      mqttwire::detail::decode_exact(in.view().data(), in.view().size(), want, v, opts);
  packet got{};
  if (decode_into(in.view(), got, v, opts) != expected) return "decode_into(packet&) outcome";
  if (!(got == want)) return "decode_into(packet&) fields";
  if (expected.ec == errc::success) {
    for (const protocol_version ev : {v311, v31}) {
      for (const options& eo : {default_options, options::strictest(), options::tolerant()}) {
        if (const char* e = encode_agrees_with_exact(want, ev, eo)) return e;
      }
    }
  }
  if (wire.empty()) return nullptr;
  const unsigned type = static_cast<unsigned char>(wire[0]) >> 4;
  const char* failure = nullptr;
  const auto each = [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using P = std::variant_alternative_t<I, packet>;
          if (failure != nullptr || I + 1 != type) return;
          P exact{};
          const decode_result e =
              mqttwire::detail::decode_exact(in.view().data(), in.view().size(), exact, v, opts);
          if (e != expected) {
            failure = "decode_exact into the struct and into a packet differ";
            return;
          }
          P typed{};
          if (decode_into(in.view(), typed, v, opts) != expected) {
            failure = "typed decode_into outcome";
          } else if (!(typed == exact)) {
            failure = "typed decode_into fields";
          }
        }(),
        ...);
  };
  each(std::make_index_sequence<std::variant_size_v<packet>>{});
  return failure;
}

TEST_CASE("decode differential: 120,000 random and mutated packets, fast paths against the exact path") {
  diff_rng r(0x6D717474'77697265ull);
  const options choices[] = {default_options, options::strictest(), options::tolerant(),
                             [] {
                               options o{};
                               o.reject_control_characters = true;
                               return o;
                             }()};
  std::size_t cases = 0;
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < 120'000; ++i) {
    const protocol_version v = r.one_in(2) ? v311 : v31;
    const std::string wire = random_packet(r, v);
    const options& opts = choices[r.below(std::size(choices))];
    const char* failure = fast_agrees_with_exact(wire, v, opts);
    ++cases;
    if (failure != nullptr) {
      std::string hex;
      for (const char c : wire) {
        static constexpr char digits[] = "0123456789abcdef";
        hex += digits[(static_cast<unsigned char>(c) >> 4) & 0xF];
        hex += digits[static_cast<unsigned char>(c) & 0xF];
      }
      FAIL_CHECK("case " << i << " (" << (v == v311 ? "3.1.1" : "3.1") << "): " << failure
                         << " on " << hex);
      break;
    }
    if (decode(bytes_view(wire.data(), wire.size()), v, opts)) ++accepted;
  }
  CHECK(cases == 120'000);
  // Both outcomes are well represented: the generator reaches the accepting fast paths and the
  // faults alike.
  CHECK(accepted > 20'000);
  CHECK(accepted < 100'000);
  MESSAGE("accepted " << accepted << " of " << cases);
}

// CONNECT: every flags byte of both versions, with the fields the flags name (or one more, or
// one fewer), the body cut at every length and padded with a byte or two: each field's bounds
// test, and the test that nothing follows the last field, against the exact path.
TEST_CASE("decode differential: CONNECT of every flags byte, cut and padded at every length") {
  const options choices[] = {default_options, options::strictest(), options::tolerant()};
  std::size_t cases = 0;
  std::size_t accepted = 0;
  for (const protocol_version v : {v311, v31}) {
    for (unsigned flags = 0; flags < 256; ++flags) {
      for (const int extra : {-1, 0, 1}) {
        std::string body = v == v311 ? std::string("\0\4MQTT\4", 7) : std::string("\0\6MQIsdp\3", 9);
        body += static_cast<char>(flags);
        put16(body, 60);
        std::size_t fields = 1u + ((flags & 0x04u) != 0 ? 2u : 0u) +
                             ((flags & 0x80u) != 0 ? 1u : 0u) + ((flags & 0x40u) != 0 ? 1u : 0u);
        if (extra < 0) --fields;
        if (extra > 0) ++fields;
        static constexpr std::string_view values[] = {"client-0001", "a/b/status", "offline", "user",
                                                      "secret"};
        for (std::size_t f = 0; f < fields; ++f) put_field(body, values[f % std::size(values)]);
        for (std::size_t cut = 0; cut <= body.size() + 2; ++cut) {
          std::string b = body.substr(0, std::min(cut, body.size()));
          b.append(cut > body.size() ? cut - body.size() : 0, 'x');
          const std::string wire = framed(0x10, b, false);
          const options& opts = choices[cut % std::size(choices)];
          const char* failure = fast_agrees_with_exact(wire, v, opts);
          ++cases;
          if (failure != nullptr) {
            FAIL_CHECK("flags " << flags << " extra " << extra << " cut " << cut << ": " << failure);
            return;
          }
          if (decode(bytes_view(wire.data(), wire.size()), v, opts)) ++accepted;
        }
      }
    }
  }
  CHECK(cases > 40'000);
  CHECK(accepted > 300);
  MESSAGE("accepted " << accepted << " of " << cases);
}

// Every vector of the table, mutated at each byte in a few ways, against the exact path.
TEST_CASE("decode differential: each vector with every single byte replaced by an interesting one") {
  static constexpr char interesting[] = {'\0', '\x01', '#', '+', '/', '\x7F', '\x80', '\xFF'};
  std::size_t cases = 0;
  for (std::size_t i = 0; i < vector_count; ++i) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(vectors[i].versions, v)) continue;
      const std::string base(vectors[i].wire);
      for (std::size_t at = 0; at < base.size(); ++at) {
        for (const char c : interesting) {
          std::string wire = base;
          wire[at] = c;
          const char* failure = fast_agrees_with_exact(wire, v, vectors[i].opts);
          ++cases;
          if (failure != nullptr) {
            FAIL_CHECK(row_title(vectors[i], v) << " byte " << at << ": " << failure);
            return;
          }
        }
      }
    }
  }
  CHECK(cases > 1000);
}

}  // namespace
}  // namespace mqttwire_test
