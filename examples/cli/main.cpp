// SPDX-License-Identifier: MIT
// mqttwire: command-line MQTT packet inspector (bytes -> JSON Lines) and encoder (JSON Lines -> bytes).
#include "io.hpp"
#include "json.hpp"
#include "packet_json.hpp"

#include <mqttwire/framer.hpp>
#include <mqttwire/mqttwire.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Exit codes of the contract (docs/cli.md); 64 is EX_USAGE of sysexits.h.
constexpr int exit_ok = 0;
constexpr int exit_bad_input = 1;
constexpr int exit_incomplete = 2;
constexpr int exit_usage = 64;

constexpr std::string_view usage_text =
    "usage: mqttwire decode [--protocol 3.1|3.1.1] [--hex] [--strict] [--tolerant]\n"
    "       mqttwire encode [--protocol 3.1|3.1.1] [--hex] [--strict]\n"
    "       mqttwire --help | --version\n"
    "\n"
    "decode  reads an MQTT byte stream on stdin and prints one JSON object per packet.\n"
    "encode  reads JSON Lines of the same form on stdin and writes the packets to stdout.\n"
    "\n"
    "  --protocol V  rules for every packet but CONNECT, which names its own version\n"
    "                (default 3.1.1)\n"
    "  --hex         decode: stdin is hex text (white space ignored);\n"
    "                encode: write one lowercase hex line per packet instead of raw bytes\n"
    "  --strict      also apply every optional check (mqttwire::options::strictest())\n"
    "  --tolerant    decode: show 3.1.1 packets that break a sender rule (DUP on QoS 0,\n"
    "                CONNACK reserved bits or Session Present with a refusal) instead of\n"
    "                rejecting them (mqttwire::options::tolerant())\n"
    "\n"
    "A malformed packet prints {\"error\": \"<code>\", \"offset\": N} and exits 1; input that\n"
    "ends inside a packet prints {\"error\": \"incomplete\", \"offset\": N} and exits 2. An\n"
    "encode line that is not JSON or not a valid packet is reported on stderr with its line\n"
    "number; nothing is written for it and the exit code is 1. Usage errors exit 64.\n";

struct settings {
  enum class command { decode, encode } cmd = command::decode;
  mqttwire::protocol_version version = mqttwire::protocol_version::v3_1_1;
  bool hex = false;
  mqttwire::options rules{};
};

void say(std::string_view message) {
  std::fwrite(message.data(), 1, message.size(), stderr);
}

int usage_error(const std::string& problem) {
  say("mqttwire: " + problem + "\n" + std::string(usage_text));
  return exit_usage;
}

// Parses the command line; returns an exit code when the program should stop right away.
std::optional<int> parse_args(int argc, char** argv, settings& s) {
  std::optional<std::string_view> command;
  std::optional<std::string_view> protocol;
  // --help answers whatever else is on the line: someone asking for help may not know the rest.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
      return exit_ok;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("mqttwire %s\n", MQTTWIRE_VERSION_STRING);
      return exit_ok;
    }
    if (arg == "--hex") {
      s.hex = true;
    } else if (arg == "--strict") {
      const mqttwire::options strict = mqttwire::options::strictest();
      s.rules.reject_non_minimal_length = strict.reject_non_minimal_length;
      s.rules.reject_control_characters = strict.reject_control_characters;
      s.rules.strict_3_1 = strict.strict_3_1;
    } else if (arg == "--tolerant") {
      const mqttwire::options tolerant = mqttwire::options::tolerant();
      s.rules.tolerate_dup_with_qos0 = tolerant.tolerate_dup_with_qos0;
      s.rules.tolerate_connack_reserved_flags = tolerant.tolerate_connack_reserved_flags;
      s.rules.tolerate_session_present_with_error = tolerant.tolerate_session_present_with_error;
    } else if (arg == "--protocol") {
      if (i + 1 == argc) return usage_error("--protocol needs a value: 3.1 or 3.1.1");
      protocol = argv[++i];
    } else if (arg.starts_with("--protocol=")) {
      protocol = arg.substr(std::string_view("--protocol=").size());
    } else if (arg.starts_with("-")) {
      return usage_error("unknown option '" + std::string(arg) + "'");
    } else if (command) {
      return usage_error("unexpected argument '" + std::string(arg) + "'");
    } else {
      command = arg;
    }
  }
  if (!command) return usage_error("missing command: decode or encode");
  if (*command == "decode") {
    s.cmd = settings::command::decode;
  } else if (*command == "encode") {
    s.cmd = settings::command::encode;
  } else {
    return usage_error("unknown command '" + std::string(*command) + "'");
  }
  if (protocol) {
    if (*protocol == "3.1") {
      s.version = mqttwire::protocol_version::v3_1;
    } else if (*protocol == "3.1.1") {
      s.version = mqttwire::protocol_version::v3_1_1;
    } else {
      return usage_error("--protocol must be 3.1 or 3.1.1, not '" + std::string(*protocol) + "'");
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- decode

// Bytes asked of read(2) at a time. The framer holds at most one packet plus this, so memory
// stays constant however long the stream is.
constexpr std::size_t read_chunk = 64u << 10;

int decode_stream(const settings& s) {
  mqttwire::framer frames(s.version, mqttwire::framer_options{mqttwire::max_packet_size, false, s.rules});
  mqttwire_cli::output out(1);
  mqttwire_cli::hex_decoder hex;
  std::vector<char> text(s.hex ? read_chunk : 0);
  for (;;) {
    long n = 0;
    if (s.hex) {
      n = mqttwire_cli::read_some(0, text);
      if (n > 0) {
        const std::span<char> space = frames.prepare(static_cast<std::size_t>(n) / 2 + 1);
        const std::string_view chunk(text.data(), static_cast<std::size_t>(n));
        frames.commit(hex.decode(chunk, space.data()));
      }
    } else {
      const std::span<char> space = frames.prepare(read_chunk);
      n = mqttwire_cli::read_some(0, space);
      frames.commit(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    if (n < 0) {
      out.flush();
      std::perror("mqttwire: reading stdin");
      return exit_bad_input;
    }
    // Print every packet completed by this chunk before looking at what ends the stream.
    for (;;) {
      mqttwire::result<mqttwire::packet> r = frames.next();
      if (r) {
        mqttwire_cli::append_json(out.buffer(), *r);
        out.buffer().push_back('\n');
        out.maybe_flush();
        continue;
      }
      if (r.code() == mqttwire::errc::incomplete) break;
      mqttwire_cli::append_error_json(out.buffer(), r.code(), r.error().offset);
      out.buffer().push_back('\n');
      out.flush();
      return exit_bad_input;
    }
    if (!out.flush()) return exit_bad_input;
    if (hex.bad()) {
      const char c = hex.bad_char();
      const bool printable = c > ' ' && c < 0x7F;
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      say("mqttwire: --hex input: character " + (printable ? "'" + std::string(1, c) + "'" : std::string(code)) +
          " at input byte " + std::to_string(hex.bad_offset()) + " is not a hex digit\n");
      return exit_bad_input;
    }
    if (n == 0) break;
  }
  if (hex.half_byte()) {
    say("mqttwire: --hex input ends with half a byte (an odd number of hex digits)\n");
    return exit_bad_input;
  }
  if (!frames.idle()) {
    // The stream ended inside a packet: report where that packet starts.
    mqttwire_cli::append_error_json(out.buffer(), mqttwire::errc::incomplete, frames.stream_offset());
    out.buffer().push_back('\n');
    out.flush();
    return exit_incomplete;
  }
  return exit_ok;
}

// ---------------------------------------------------------------- encode

std::string_view version_name(mqttwire::protocol_version v) {
  return v == mqttwire::protocol_version::v3_1 ? "MQTT 3.1" : "MQTT 3.1.1";
}

// Encodes one line into `out`; returns false (and reports on stderr) when it cannot.
bool encode_line(std::string_view line, std::uint64_t number, const settings& s, std::string& out) {
  const std::string where = "mqttwire: line " + std::to_string(number) + ": ";
  mqttwire_cli::json::value doc;
  if (const auto bad = mqttwire_cli::json::parse(line, doc)) {
    say(where + "invalid JSON at column " + std::to_string(bad->column) + ": " + bad->message + "\n");
    return false;
  }
  mqttwire_cli::packet_storage store;
  std::string problem;
  const std::optional<mqttwire::packet> p = mqttwire_cli::packet_from_json(doc, s.version, store, problem);
  if (!p) {
    say(where + problem + "\n");
    return false;
  }
  if (const mqttwire::errc e = mqttwire::validate(*p, s.version, s.rules); e != mqttwire::errc::success) {
    const auto* c = std::get_if<mqttwire::connect>(&*p);
    const mqttwire::protocol_version v = c != nullptr ? c->protocol : s.version;
    say(where + "not a valid " + std::string(mqttwire::to_string(mqttwire::type_of(*p))) + " for " +
        std::string(version_name(v)) + ": " + std::string(mqttwire::to_string(e)) + " (" +
        std::string(mqttwire::message_of(e)) + "; " + std::string(mqttwire::rule_of(e)) + ")\n");
    return false;
  }
  if (!s.hex) {
    static_cast<void>(mqttwire::encode_to(*p, std::back_inserter(out), s.version, s.rules));
    return true;
  }
  std::string bytes;
  bytes.reserve(*mqttwire::encoded_size(*p, s.version, s.rules));
  static_cast<void>(mqttwire::encode_to(*p, std::back_inserter(bytes), s.version, s.rules));
  mqttwire_cli::append_hex(out, bytes);
  out.push_back('\n');
  return true;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

int encode_stream(const settings& s) {
  mqttwire_cli::output out(1);
  std::vector<char> chunk(read_chunk);
  std::string pending;  // the start of a line whose end has not arrived yet
  std::uint64_t line_number = 0;
  bool all_ok = true;
  const auto handle = [&](std::string_view line) {
    ++line_number;
    if (blank(line)) return;  // blank lines (a trailing newline, spacing) are not packets
    if (!encode_line(line, line_number, s, out.buffer())) all_ok = false;
    out.maybe_flush();
  };
  for (;;) {
    const long n = mqttwire_cli::read_some(0, chunk);
    if (n < 0) {
      out.flush();
      std::perror("mqttwire: reading stdin");
      return exit_bad_input;
    }
    if (n == 0) break;
    std::string_view data(chunk.data(), static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = data.find('\n')) != std::string_view::npos;) {
      if (pending.empty()) {
        handle(data.substr(0, nl));
      } else {
        pending.append(data.substr(0, nl));
        handle(pending);
        pending.clear();
      }
      data.remove_prefix(nl + 1);
    }
    pending.append(data);
    if (!out.flush()) return exit_bad_input;
  }
  if (!pending.empty()) handle(pending);  // a last line without its newline
  if (!out.flush()) return exit_bad_input;
  return all_ok ? exit_ok : exit_bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  if (const std::optional<int> stop = parse_args(argc, argv, s)) return *stop;
  return s.cmd == settings::command::decode ? decode_stream(s) : encode_stream(s);
}
