// SPDX-License-Identifier: MIT
// Writes the committed seed corpora fuzz/seeds/<target>/ from packets the library encodes, so the
// seeds are real packets of every type under both versions. Usage:
//   make_seeds <fuzz/seeds>           (re)write the seed files
//   make_seeds --check <fuzz/seeds>   exit 1 if a committed seed differs from what would be written
#include "packet_json.hpp"

#include <mqttwire/encode.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mqttwire;
using namespace std::string_literals;
using namespace std::string_view_literals;

using corpus = std::map<std::string, std::string>;  // file name -> bytes

const subscription kSubs[] = {{"sport/tennis/+", qos_level::at_least_once},
                              {"sport/#", qos_level::exactly_once},
                              {"$SYS/broker/load", qos_level::at_most_once}};
const std::uint8_t kCodes311[] = {0x00, 0x01, 0x02, 0x80};
const std::uint8_t kCodes31[] = {0x00, 0x01, 0x02};
const std::string_view kFilters[] = {"sport/tennis/+", "#", "a//b"};

// A representative set of every packet type for protocol `v`, each valid for it.
std::vector<std::pair<std::string, packet>> packets(protocol_version v) {
  const bool v31 = v == protocol_version::v3_1;
  std::vector<std::pair<std::string, packet>> out;
  out.push_back({"connect-min", connect{v, true, 60, "c1", {}, {}, {}}});
  out.push_back({"connect-full",
                 connect{v, false, 0xFFFF, "client-0123456789",
                         last_will{"dead/clients/c1", "gone\x00\xff"sv, qos_level::exactly_once, true},
                         "user", "pass\x01\x02"sv}});
  out.push_back({"connect-user", connect{v, true, 10, "u", {}, "name", {}}});
  out.push_back({"connack", connack{!v31, connect_return_code::accepted}});
  out.push_back({"connack-refused", connack{false, connect_return_code::not_authorized}});
  out.push_back({"publish-qos0", publish{false, qos_level::at_most_once, false, "a/b", {}, "hi"}});
  out.push_back({"publish-qos1", publish{true, qos_level::at_least_once, true, "a/b/c", 1, "payload"}});
  out.push_back({"publish-qos2", publish{false, qos_level::exactly_once, false, "t", 0xFFFF, ""}});
  out.push_back({"puback", puback{1}});
  out.push_back({"pubrec", pubrec{0x1234}});
  out.push_back({"pubrel", pubrel{0x1234, false}});
  if (v31) out.push_back({"pubrel-dup", pubrel{7, true}});
  out.push_back({"pubcomp", pubcomp{0xFFFF}});
  out.push_back({"subscribe", subscribe{10, false, kSubs}});
  if (v31) out.push_back({"subscribe-dup", subscribe{11, true, kSubs}});
  out.push_back({"suback", suback{10, v31 ? wire_list<std::uint8_t>(kCodes31)
                                          : wire_list<std::uint8_t>(kCodes311)}});
  out.push_back({"unsubscribe", unsubscribe{12, false, kFilters}});
  if (v31) out.push_back({"unsubscribe-dup", unsubscribe{13, true, kFilters}});
  out.push_back({"unsuback", unsuback{12}});
  out.push_back({"pingreq", pingreq{}});
  out.push_back({"pingresp", pingresp{}});
  out.push_back({"disconnect", disconnect{}});
  return out;
}

std::string bytes_of(const packet& p, protocol_version v) {
  std::string s;
  const auto r = encode_to(p, std::back_inserter(s), v);
  if (r.ec != errc::success) {
    std::fprintf(stderr, "seed packet does not encode: %s\n", to_string(r.ec).data());
    std::exit(2);
  }
  return s;
}

std::string hex_bytes(std::string_view hex) {  // "10 0e 00" -> bytes
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

void make_decode(corpus& c, std::string& stream311, std::string& stream31) {
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const std::string tag = v == protocol_version::v3_1 ? "v31-" : "v311-";
    std::string& stream = v == protocol_version::v3_1 ? stream31 : stream311;
    for (const auto& [name, p] : packets(v)) {
      const std::string b = bytes_of(p, v);
      c[tag + name] = b;
      stream += b;
    }
    c[tag + "stream"] = stream;
  }
  // Accepted-but-non-canonical and rejected inputs from the spec reference section 7, so the
  // fuzzer starts next to each tolerance and each check.
  const std::pair<const char*, const char*> edges[] = {
      {"edge-non-minimal-length", "c0 80 00"},
      {"edge-puback-flags", "41 02 00 01"},
      {"edge-pubrel-flags0", "60 02 00 01"},
      {"edge-subscribe-empty", "82 02 00 01"},
      {"edge-subscribe-reserved-qos", "82 06 00 01 00 01 61 81"},
      {"edge-unsubscribe-empty", "a2 02 00 01"},
      {"edge-connect31-missing-user", "10 10 00 06 4d 51 49 73 64 70 03 82 00 3c 00 02 63 31"},
      {"edge-connect31-reserved", "10 10 00 06 4d 51 49 73 64 70 03 03 00 3c 00 02 63 31"},
      {"edge-connack-sp-error", "20 02 01 05"},
      {"edge-connack-reserved", "20 02 02 00"},
      {"edge-dup-qos0", "38 05 00 03 61 2f 62"},
      {"edge-length-4-bytes", "30 ff ff ff 7f"},
      {"edge-length-5-bytes", "30 80 80 80 80 01"},
      {"edge-utf8-surrogate", "30 05 00 03 ed a0 80"},
      {"edge-control-char", "30 03 00 01 01"},
      {"edge-non-character", "30 05 00 03 ef bf bf"},
  };
  for (const auto& [name, hex] : edges) c[name] = hex_bytes(hex);
}

// fuzz_framer input: [config byte] stream [chunk bytes...] [number of chunk bytes]; see
// fuzz_framer.cpp for the meaning of each.
void make_framer(corpus& c, const std::string& stream311, const std::string& stream31) {
  const std::string chunks = "\x01\x83\x07\x00\x90\x02"s;
  const std::string count(1, static_cast<char>(chunks.size()));
  c["v311-default"] = "\x00"s + stream311 + chunks + count;
  c["v31-default"] = "\x01"s + stream31 + chunks + count;
  c["v311-strictest"] = "\x3e"s + stream311 + chunks + count;
  c["v31-strictest"] = "\x3f"s + stream31 + chunks + count;
  c["v311-small-limit-skip"] = "\xc0"s + stream311 + chunks + count;  // max 16 bytes, skipping
  c["v311-small-limit"] = "\x40"s + stream311 + "\x05"s + "\x01"s;
  c["v311-one-byte-chunks"] = "\x00"s + stream311.substr(0, 40) + "\x01"s + "\x01"s;
  c["v311-truncated"] = "\x00"s + stream311.substr(0, stream311.size() - 3) + chunks + count;
  // The last byte's bits 5-7 pick static_framer<200> (1, 2) or a 64-byte span_framer (3).
  const std::string on_static(1, static_cast<char>(chunks.size() | 0x20u));
  const std::string on_span(1, static_cast<char>(chunks.size() | 0x60u));
  c["v311-static"] = "\x00"s + stream311 + chunks + on_static;
  c["v31-static-skip"] = "\x81"s + stream31 + chunks + on_static;
  c["v311-span"] = "\x00"s + stream311 + chunks + on_span;
  c["v31-span-skip"] = "\x81"s + stream31 + chunks + on_span;
}

// fuzz_encode input: [type] [version] [options] then field bytes (see fuzz_encode.cpp). The
// field bytes below make a plausible packet of each type; the fuzzer mutates from there.
void make_encode(corpus& c) {
  const std::string fields =
      "\x04\x01\x00\x3c\x03\x02" "c1" "\x07\x03\x03" "a/b" "\x03\x02" "hi" "\x01\x01\x03\x04"
      "user\x03\x04pass\x03\x01\x02"s;
  for (unsigned t = 0; t < 14; ++t) {
    for (unsigned v = 0; v < 2; ++v) {
      for (const unsigned o : {0x00u, 0x1Fu}) {
        char name[32];
        std::snprintf(name, sizeof name, "type%02u-v%u-o%02x", t, v, o);
        c[name] = std::string{static_cast<char>(t), static_cast<char>(v), static_cast<char>(o)} + fields;
      }
    }
  }
  // 3.1 with strict_3_1 caps topic filters at 32,767 bytes: one filter of 32,768 'a's (string
  // selector 0xF2 picks that limit) in a SUBSCRIBE and in an UNSUBSCRIBE.
  c["subscribe-v31-strict-32768"] = "\x07\x01\x04\x00\x01\x00\x01\xf2\x01"s;
  c["unsubscribe-v31-strict-32768"] = "\x09\x01\x04\x00\x01\x00\x01\xf2"s;
}

// fuzz_cli input: [byte: bit 0 = 3.1, bit 1 = strict] one line of JSON, here what
// `mqttwire decode` prints for each seed packet, plus texts that are not JSON or not packets.
void make_cli(corpus& c) {
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const bool v31 = v == protocol_version::v3_1;
    for (const auto& [name, p] : packets(v)) {
      std::string line(1, v31 ? '\x01' : '\x00');
      mqttwire_cli::append_json(line, p);
      c[(v31 ? "v31-" : "v311-") + name] = line;
    }
  }
  c["bad-not-json"] = "\x00{\"type\": publish}"s;
  c["bad-escapes"] = "\x00{\"type\": \"publish\", \"topic\": \"\\ud83d\\ude00\\u0000\\q\"}"s;
  c["bad-numbers"] = "\x02{\"type\": \"puback\", \"packet_id\": -0.5e+99}"s;
  c["bad-nesting"] = "\x00"s + std::string(40, '[') + std::string(40, ']');
  c["bad-unknown-field"] = "\x00{\"type\": \"pingreq\", \"extra\": [true, false, null, {}]}"s;
}

// fuzz_topics input: [config] then operations [op][length][string] (see fuzz_topics.cpp):
// subscribe a few filters for subscribers 0..2, then match topic names against them.
void make_topics(corpus& c) {
  const auto op = [](unsigned kind, unsigned sub, std::string_view text, unsigned qos = 0) {
    return std::string{static_cast<char>(kind | (sub << 3) | (qos << 6)),
                       static_cast<char>(text.size())} +
           std::string(text);
  };
  std::string subs;
  const std::string_view filters[] = {"sport/tennis/+", "sport/#", "#", "+/+", "+", "/+",
                                      "$SYS/#", "a//b", "sport/tennis/player1/#"};
  unsigned n = 0;
  for (const auto f : filters) subs += op(0, n++ % 3, f);
  std::string matches;
  for (const auto t : {"sport/tennis/player1"sv, "sport"sv, "sport/"sv, "/finance"sv,
                       "$SYS/broker/load"sv, "a//b"sv, "sport/tennis/player1/ranking"sv}) {
    matches += op(5, 0, t);
  }
  c["subscribe-then-match"] = "\x00"s + subs + matches;
  c["no-dollar-rule"] = "\x01"s + subs + matches;
  c["remove-and-match"] = "\x00"s + subs + op(2, 1, "sport/#") + op(3, 2, "") +
                          op(4, 0, "sport/tennis/+") + matches;
  c["invalid-filters"] = "\x00"s + op(0, 0, "a/#/b") + op(0, 1, "a+") + op(0, 2, "") +
                         op(2, 0, "#/") + matches;
  // One client with overlapping filters of QoS 1, 2 and 0, then a repeated SUBSCRIBE that lowers
  // one of them: match_subscribers, find and for_each see the values.
  c["qos-overlap"] = "\x00"s + op(0, 1, "a/+", 1) + op(0, 1, "a/#", 2) + op(0, 1, "a/b", 0) +
                     op(0, 2, "a/b", 1) + op(6, 0, "a/b") + op(1, 1, "a/#", 0) +
                     op(4, 1, "a/#") + op(6, 0, "a/b") + op(5, 0, "a") + op(7, 0, "");
}

// fuzz_session input: five config bytes, then operations (see fuzz_session.cpp): a byte whose
// bits 0-3 pick the operation and bits 4-7 give its argument, then the operation's own bytes.
void make_session(corpus& c) {
  const auto op = [](unsigned kind, unsigned arg = 0) {
    return std::string(1, static_cast<char>(kind | (arg << 4)));
  };
  const auto canned = [&op](unsigned which, unsigned id = 1) {  // a client packet, its id
    return op(2, which) + std::string(1, static_cast<char>(id));
  };
  const auto deliver = [&op](unsigned qos, unsigned granted, std::string_view payload,
                             unsigned flags = 0) {
    return op(8, qos | (granted << 2)) + "\x01"s + static_cast<char>(payload.size()) +
           std::string(payload) + static_cast<char>(flags);
  };
  const std::string persistent = canned(0), clean = canned(1), v31_will = canned(2);
  const std::string accept = op(4), accept_resume = op(4, 1), take = op(11);
  const std::string flows =
      canned(10, 5) + op(7, 2) + deliver(1, 2, "abc") + canned(4, 3) + canned(5, 4) +
      canned(8, 4) + canned(6, 1) + take + deliver(2, 2, "z") + canned(7, 2) + take +
      canned(9, 2) + op(3) + "\x08"s + canned(11, 6) + canned(12) + canned(14, 4) + take;
  // max_inflight 4, max_queued 7, max_unreleased 8; max_output 264; packets up to 1 MiB
  const std::string roomy = "\x00\x00\xff\x20\x00"s;
  c["accept-flows"] = roomy + persistent + accept + flows + canned(13);
  c["clean-flows"] = roomy + clean + accept + flows + op(12);
  c["manual-acks"] = "\x05\x00\x5f\x02\x00"s + persistent + accept + flows + op(9) + op(9, 1) +
                     op(9) + take;
  // A reconnect that resumes the kept state (bit 2 of config: through its serialised form).
  c["resume"] = "\x04\x00\xff\x20\x00"s + persistent + accept + deliver(1, 1, "a") +
                deliver(2, 2, "b") + deliver(2, 2, "c") + canned(7, 2) + op(10) + "\x00\x06"s +
                op(12) + op(15, 1) + op(15, 2) + op(14) + persistent + accept_resume + take +
                canned(6, 1) + canned(9, 2) + canned(7, 3) + canned(9, 3) + take;
  // Output that nobody takes: the output bound.
  c["unread-output"] = "\x00\x00\xff\x00\x00"s + persistent + accept +
                       [&] {
                         std::string s;
                         for (unsigned i = 0; i < 20; ++i) s += canned(12) + deliver(i % 3, 2, "m");
                         return s;
                       }() + op(10) + "\x00\x05"s + take;
  // MQTT 3.1 with a will, the connection lost: closed with publish_will.
  c["v31-will-lost"] = roomy + v31_will + accept + canned(4, 9) + op(3, 15) + "\xff"s + op(12);
  c["refused"] = roomy + persistent + op(5, 5) + canned(12) + take;
  c["takeover"] = roomy + persistent + accept + deliver(1, 1, "x") + op(13) + op(14) + persistent +
                  accept_resume + take;
  // A raw stream: CONNECT (keep-alive 1 s), then a PUBLISH QoS 1 and a PINGREQ in pieces.
  const std::string raw =
      "\x10\x0d\x00\x04MQTT\x04\x02\x00\x01\x00\x01" "c" "\x32\x06\x00\x01t\x00\x07p" "\xc0\x00"s;
  c["raw-pieces"] = roomy + op(1, 2) + static_cast<char>(raw.size()) + raw + accept + op(3) + "\x06"s;
  c["small-packet-limit"] = "\x00\x00\xff\x20\x01"s + persistent + accept + canned(4, 1) + canned(10, 2);
}

// fuzz_session_client input: four config bytes, then operations (see fuzz_session_client.cpp).
void make_session_client(corpus& c) {
  const auto op = [](unsigned kind, unsigned arg = 0) {
    return std::string(1, static_cast<char>(kind | (arg << 4)));
  };
  const auto canned = [&op](unsigned which, unsigned id = 1) {  // a server packet, its id
    return op(2, which) + std::string(1, static_cast<char>(id));
  };
  const auto publish = [&op](unsigned qos, std::string_view payload) {
    return op(5, qos) + static_cast<char>(payload.size()) + std::string(payload);
  };
  const std::string persistent = op(4, 1u << 2), clean = op(4, 1u | (1u << 2)), take = op(11);
  const std::string flows = publish(1, "a") + publish(2, "b") + publish(0, "c") + op(6) + op(7) +
                            take + canned(6, 1) + canned(7, 2) + canned(9, 2) + canned(10, 3) +
                            canned(12, 4) + canned(4, 7) + canned(5, 8) + canned(15, 8) +
                            canned(8, 8) + op(3) + "\x08"s + canned(13) + take;
  const std::string roomy = "\x00\x00\xff\x20"s;  // inflight 4, queued 7, unreleased 8, output 264
  c["flows"] = roomy + persistent + canned(0) + flows + op(8) + take;
  c["clean-flows"] = roomy + clean + canned(0) + flows + op(12);
  c["manual-acks"] = "\x01\x00\xff\x20"s + persistent + canned(0) + flows + op(9) + op(9, 1) + take;
  // A restored session with three messages in flight, resent after CONNACK (Session Present).
  c["restored-resend"] = "\x0c\x00\xff\x02"s + persistent + canned(1) + take + canned(6, 1) +
                         canned(7, 2) + canned(9, 3) + take;
  c["reconnect"] = roomy + persistent + canned(0) + publish(1, "x") + op(12) + persistent +
                   canned(1) + take + canned(6, 1);
  c["refused"] = roomy + persistent + canned(2) + persistent + op(3, 15) + "\xff"s;
  c["unread-output"] = "\x00\x00\xff\x00"s + persistent + canned(0) + [&] {
    std::string s;
    for (unsigned i = 0; i < 10; ++i) s += publish(i % 3, "m") + canned(4, i + 1) + canned(5, i + 20);
    return s;
  }() + op(3) + "\x30"s + op(10) + "\x00\x05"s + take;
}

bool write_or_check(const std::filesystem::path& dir, const corpus& c, bool check) {
  bool ok = true;
  if (!check) std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : c) {
    const auto path = dir / name;
    if (check) {
      std::ifstream f(path, std::ios::binary);
      const std::string have((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (!f.good() && have.empty() && !bytes.empty()) {
        std::fprintf(stderr, "missing seed %s\n", path.string().c_str());
        ok = false;
      } else if (have != bytes) {
        std::fprintf(stderr, "stale seed %s (run make_seeds to regenerate)\n", path.string().c_str());
        ok = false;
      }
    } else {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool check = argc == 3 && std::string_view(argv[1]) == "--check";
  if (argc != 2 && !check) {
    std::fprintf(stderr, "usage: make_seeds [--check] <fuzz/seeds>\n");
    return 2;
  }
  const std::filesystem::path root(argv[argc - 1]);
  corpus decode_seeds, framer_seeds, encode_seeds, topics_seeds, cli_seeds, session_seeds,
      client_seeds;
  std::string stream311, stream31;
  make_decode(decode_seeds, stream311, stream31);
  make_framer(framer_seeds, stream311, stream31);
  make_encode(encode_seeds);
  make_topics(topics_seeds);
  make_cli(cli_seeds);
  make_session(session_seeds);
  make_session_client(client_seeds);
  bool ok = write_or_check(root / "fuzz_decode", decode_seeds, check);
  ok = write_or_check(root / "fuzz_framer", framer_seeds, check) && ok;
  ok = write_or_check(root / "fuzz_encode", encode_seeds, check) && ok;
  ok = write_or_check(root / "fuzz_topics", topics_seeds, check) && ok;
  ok = write_or_check(root / "fuzz_session", session_seeds, check) && ok;
  ok = write_or_check(root / "fuzz_session_client", client_seeds, check) && ok;
  // The CLI seeds follow the CLI's JSON form, which its owners may change: --check leaves them
  // alone (stale CLI seeds are still valid fuzz inputs), a plain run rewrites them.
  if (!check) write_or_check(root / "fuzz_cli", cli_seeds, false);
  std::printf("%s %zu + %zu + %zu + %zu + %zu + %zu + %zu seeds\n", check ? "checked" : "wrote",
              decode_seeds.size(), framer_seeds.size(), encode_seeds.size(), topics_seeds.size(),
              session_seeds.size(), client_seeds.size(), cli_seeds.size());
  return ok ? 0 : 1;
}
