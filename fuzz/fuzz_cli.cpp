// SPDX-License-Identifier: MIT
// Fuzz target: the JSON reader of `mqttwire encode` (examples/cli) on arbitrary text, followed
// by the rest of the encode path and the JSON form's round trip.
//
// Input: byte 0 picks the version (bit 0) and strictness (bit 1); the rest is one line of text.
// Oracles:
//  1. json::parse and packet_from_json never crash, whatever the text (ASan/UBSan), and a parse
//     error's column lies within the line (+1 for "at the end");
//  2. a packet the CLI would encode (validate succeeds) encodes, and decodes back equal;
//  3. the decoded packet written as JSON (what `mqttwire decode` prints) parses again and reads
//     back as the same packet: decode's output is always valid encode input.
#include "fuzz_common.hpp"

#include "json.hpp"
#include "packet_json.hpp"

#include <mqttwire/mqttwire.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace mqttwire;

void run(std::string_view whole, std::string_view line, protocol_version v, const options& o) {
  mqttwire_cli::json::value doc;
  if (const auto bad = mqttwire_cli::json::parse(line, doc)) {
    fuzz::expect(bad->column >= 1 && bad->column <= line.size() + 1,
                 "a JSON error column outside the line", whole);
    return;
  }
  mqttwire_cli::packet_storage store;
  std::string problem;
  const std::optional<packet> p = mqttwire_cli::packet_from_json(doc, v, store, problem);
  if (!p) {
    fuzz::expect(!problem.empty(), "packet_from_json failed without saying why", whole);
    return;
  }
  if (validate(*p, v, o) != errc::success) return;  // the CLI reports validate's error
  std::string bytes;
  const auto written = encode_to(*p, std::back_inserter(bytes), v, o);
  fuzz::expect(written.ec == errc::success && bytes.size() == *encoded_size(*p, v, o),
               "a validated packet from JSON does not encode", whole);
  const auto back = decode(bytes_view(bytes.data(), bytes.size()), v, o);
  fuzz::expect(back && back->size == bytes.size() && back->pkt == *p,
               "a packet from JSON does not survive encode and decode", whole);

  std::string json_line;
  mqttwire_cli::append_json(json_line, back->pkt);
  mqttwire_cli::json::value again_doc;
  if (const auto bad = mqttwire_cli::json::parse(json_line, again_doc)) {
    fuzz::print_hex("json", json_line);
    fuzz::fail("the CLI's own JSON output does not parse", whole);
  }
  mqttwire_cli::packet_storage again_store;
  const std::optional<packet> again =
      mqttwire_cli::packet_from_json(again_doc, v, again_store, problem);
  if (!again || !(*again == back->pkt)) {
    fuzz::print_hex("json", json_line);
    fuzz::fail("the CLI's own JSON output does not read back as the same packet", whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  if (size == 0) return 0;
  const protocol_version v = fuzz::version_from(data[0]);
  const options o = (data[0] & 2u) != 0 ? options::strictest() : options{};
  run(whole, whole.substr(1), v, o);
  return 0;
}
