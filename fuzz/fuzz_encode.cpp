// SPDX-License-Identifier: MIT
// Fuzz target: build packets of every type from fuzzer data and check the encoder against the
// decoder and against itself.
//
// Input: byte 0 picks the packet type, byte 1 the version and byte 2 the options; the rest fills
// the fields (see build_*). Field values are arbitrary, including invalid QoS values, ids of 0,
// unknown return codes and protocol levels; string and payload lengths include the limits
// (0, 1, 32767/32768, 65535/65536) and payloads that put the Remaining Length at each varint
// boundary (127/128, 16383/16384, 2097151/2097152) or past the protocol maximum.
// Oracles:
//  1. encode either refuses with exactly validate()'s code and writes nothing, or writes exactly
//     encoded_size() bytes and nothing past them;
//  2. what it writes, decode accepts under the same version and options, as one whole packet
//     equal to the one encoded (the encoder never emits what the decoder would reject);
//  3. encode_to (output iterator) writes the same bytes, or refuses with the same code;
//  4. a buffer one byte short gives buffer_too_small and stays untouched;
//  5. encode_publish_head writes exactly the head of what encode wrote;
//  6. the packet-variant overloads agree with the struct overloads.
#include "fuzz_common.hpp"

#include <mqttwire/decode.hpp>
#include <mqttwire/encode.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace mqttwire;

// Long valid strings without copying fuzzer data: 'a' is a valid topic, filter, id and payload.
const std::string& letters() {
  static const std::string s(70'000, 'a');
  return s;
}

// A read-only zero region as large as the biggest Remaining Length plus one, mapped lazily and
// never written: the encoder must refuse such a payload (packet_too_large) without reading it.
// MAP_NORESERVE keeps it virtual; untouched pages cost no memory.
std::string_view huge_zeros(std::size_t n) {
  static const char* region = [] {
    void* p = mmap(nullptr, max_remaining_length + std::size_t{4096}, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<const char*>(p);
  }();
  if (region == nullptr) return {};
  return {region, std::min<std::size_t>(n, max_remaining_length + std::size_t{4096})};
}

std::string_view a_string(fuzz::input& in) {
  const std::uint8_t sel = in.byte();
  // Mostly short strings from the input; long ones only from the top byte values, so that the
  // corpus does not fill up with slow 64 KiB inputs.
  if (sel < 0xF0u) return sel % 8 == 0 ? std::string_view{} : in.short_bytes();
  if (sel < 0xF8u) {  // the length limits of a string field, and 3.1's topic limit
    static constexpr std::array<std::size_t, 8> limits{1,      32'767, 32'768, 65'534,
                                                       65'535, 65'536, 127,    128};
    return std::string_view(letters()).substr(0, limits[sel % limits.size()]);
  }
  return std::string_view(letters()).substr(0, in.u16());
}

qos_level a_qos(fuzz::input& in) {
  const std::uint8_t b = in.byte();
  // Mostly 0..3 (3 is invalid); now and then any byte, since the enum can hold one.
  return static_cast<qos_level>(b >= 0xF0u ? b : (b & 0x03u));
}

std::string_view a_payload(fuzz::input& in, std::size_t head) {
  const std::uint8_t sel = in.byte();
  if (sel < 0xE0u) return in.short_bytes();
  if (sel < 0xF0u) return std::string_view(letters()).substr(0, in.u16());
  // Remaining Lengths at the varint boundaries and just past the protocol maximum.
  static constexpr std::array<std::size_t, 8> targets{
      127, 128, 16'383, 16'384, 2'097'151, 2'097'152, std::size_t{max_remaining_length} + 1,
      std::size_t{max_remaining_length} + 2};
  const std::size_t target = targets[sel % targets.size()];
  const std::size_t n = target > head ? target - head : 0;
  if (n > 2'200'000) return huge_zeros(n);
  static const std::string zeros(2'200'000, '\0');
  return std::string_view(zeros).substr(0, n);
}

// Element storage for the list packets; wire_list views it.
struct lists {
  std::vector<subscription> subs;
  std::vector<std::uint8_t> codes;
  std::vector<std::string_view> filters;
};

packet build(fuzz::input& in, std::uint8_t type, lists& store) {
  switch (type % 14) {
    case 0: {
      connect c;
      const std::uint8_t level = in.byte();
      c.protocol = level < 0xF0u ? ((level & 1u) ? protocol_version::v3_1 : protocol_version::v3_1_1)
                                 : static_cast<protocol_version>(level & 0x0Fu);
      c.clean_session = in.flag();
      c.keep_alive = in.u16();
      c.client_id = a_string(in);
      const std::uint8_t parts = in.byte();
      if (parts & 1u) c.will = last_will{a_string(in), a_string(in), a_qos(in), in.flag()};
      if (parts & 2u) c.username = a_string(in);
      if (parts & 4u) c.password = a_string(in);
      return c;
    }
    case 1: {
      connack c;
      c.session_present = in.flag();
      // Mostly codes 0..7 (6 and 7 are refused), sometimes any byte, as a cast could make.
      unsigned code = in.byte();
      if (code >= 0x10u && code < 0xF0u) code &= 0x07u;
      c.return_code = static_cast<connect_return_code>(code);
      return c;
    }
    case 2: {
      publish p;
      const std::uint8_t bits = in.byte();
      p.dup = (bits & 1u) != 0;
      p.retain = (bits & 2u) != 0;
      p.qos = a_qos(in);
      // Mostly the id the QoS requires; sometimes the wrong presence or 0.
      const bool wants_id = p.qos != qos_level::at_most_once;
      if ((bits & 4u) ? !wants_id : wants_id) p.packet_id = (bits & 8u) ? 0 : in.u16();
      p.topic = a_string(in);
      const std::size_t head = 2 + p.topic.size() + (p.packet_id ? 2 : 0);
      p.payload = a_payload(in, head);
      return p;
    }
    case 3: return puback{in.u16()};
    case 4: return pubrec{in.u16()};
    case 5: return pubrel{in.u16(), in.flag()};
    case 6: return pubcomp{in.u16()};
    case 7: {
      subscribe s;
      s.packet_id = in.u16();
      s.dup = in.flag();
      const std::size_t n = in.byte() % 12;
      for (std::size_t i = 0; i < n; ++i) store.subs.push_back({a_string(in), a_qos(in)});
      s.subscriptions = store.subs;
      return s;
    }
    case 8: {
      suback s;
      s.packet_id = in.u16();
      const std::size_t n = in.byte();
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t b = in.byte();
        store.codes.push_back(b < 0xC0u ? static_cast<std::uint8_t>(b & 0x83u) : b);
      }
      s.return_codes = store.codes;
      return s;
    }
    case 9: {
      unsubscribe u;
      u.packet_id = in.u16();
      u.dup = in.flag();
      const std::size_t n = in.byte() % 12;
      for (std::size_t i = 0; i < n; ++i) store.filters.push_back(a_string(in));
      u.topic_filters = store.filters;
      return u;
    }
    case 10: return unsuback{in.u16()};
    case 11: return pingreq{};
    case 12: return pingresp{};
    default: return disconnect{};
  }
}

constexpr char sentinel = 0x5A;

bool untouched(const std::vector<char>& buf, std::size_t from) {
  return std::all_of(buf.begin() + static_cast<std::ptrdiff_t>(from), buf.end(),
                     [](char c) { return c == sentinel; });
}

void check(const packet& p, protocol_version v, const options& o, std::string_view whole) {
  const errc code = std::visit([&](const auto& alt) { return validate(alt, v, o); }, p);
  fuzz::expect(code == validate(p, v, o), "validate(variant) disagrees with validate(struct)", whole);
  std::vector<char> via_iterator;
  const auto to = encode_to(p, std::back_inserter(via_iterator), v, o);
  fuzz::expect(to.ec == code, "encode_to and validate disagree", whole);

  if (code != errc::success) {
    std::vector<char> buf(64, sentinel);
    const auto r = encode(p, std::span<char>(buf), v, o);
    fuzz::expect(!r && r.code() == code, "encode and validate disagree on a refusal", whole);
    fuzz::expect(untouched(buf, 0), "a refused encode wrote bytes", whole);
    fuzz::expect(via_iterator.empty(), "a refused encode_to wrote bytes", whole);
    return;
  }
  const auto sized = encoded_size(p, v, o);
  fuzz::expect(sized.has_value(), "encoded_size refuses a packet validate accepts", whole);
  const std::size_t size = *sized;
  fuzz::expect(std::visit([&](const auto& alt) { return encoded_size(alt, v, o); }, p) == sized,
               "encoded_size(variant) disagrees with encoded_size(struct)", whole);
  std::vector<char> buf(size + 16, sentinel);
  const auto r = encode(p, std::span<char>(buf), v, o);
  fuzz::expect(r.has_value(), "encode refuses a packet validate accepts", whole);
  fuzz::expect(*r == size, "encode wrote a different size than encoded_size", whole);
  fuzz::expect(untouched(buf, size), "encode wrote past encoded_size", whole);
  const std::string_view wire(buf.data(), size);
  fuzz::expect(std::string_view(via_iterator.data(), via_iterator.size()) == wire,
               "encode_to wrote other bytes than encode", whole);

  const auto back = decode(bytes_view(wire.data(), wire.size()), v, o);
  if (!back) {
    fuzz::print_hex("encoded", wire);
    fuzz::fail(fuzz::name_of(back.code()), whole);
  }
  fuzz::expect(back->size == size, "the decoder reads another size than was encoded", whole);
  if (!(back->pkt == p)) {
    fuzz::print_hex("encoded", wire);
    fuzz::fail("decode(encode(p)) != p", whole);
  }

  std::vector<char> small(size - 1 + 8, sentinel);
  const auto short_result = encode(p, std::span<char>(small.data(), size - 1), v, o);
  fuzz::expect(short_result.code() == errc::buffer_too_small,
               "a buffer one byte short is not buffer_too_small", whole);
  fuzz::expect(untouched(small, 0), "encode into a short buffer wrote bytes", whole);

  if (const auto* pub = std::get_if<publish>(&p)) {
    std::vector<char> head(size - pub->payload.size() + 8, sentinel);
    const auto h = encode_publish_head(*pub, std::span<char>(head), v, o);
    fuzz::expect(h.has_value() && h->packet_size == size &&
                     h->head_size == size - pub->payload.size(),
                 "encode_publish_head sizes disagree with encode", whole);
    fuzz::expect(std::string_view(head.data(), h->head_size) == wire.substr(0, h->head_size),
                 "encode_publish_head wrote other bytes than encode", whole);
    fuzz::expect(untouched(head, h->head_size), "encode_publish_head wrote past the head", whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  fuzz::input in(data, size);
  const std::uint8_t type = in.byte();
  const protocol_version v = fuzz::version_from(in.byte());
  const options o = fuzz::options_from(in.byte());
  lists store;
  const packet p = build(in, type, store);
  check(p, v, o, whole);
  return 0;
}
