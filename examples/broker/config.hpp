// SPDX-License-Identifier: MIT
// mqttwire-broker: the command line (options, their defaults and checks) and the process
// settings they need.
#ifndef MQTTWIRE_EXAMPLES_BROKER_CONFIG_HPP
#define MQTTWIRE_EXAMPLES_BROKER_CONFIG_HPP

#include "broker.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <sys/resource.h>

namespace mqttwire_broker {

/// Everything the command line sets.
struct config {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 1883;
  std::optional<std::uint16_t> ws_port{};  ///< none: no HTTP/WebSocket port
  std::string http_root{};                 ///< none: the HTTP port serves no files
  std::string persist{};                   ///< none: nothing survives a restart
  std::size_t compact_bytes = std::size_t{64} << 20;
  broker_options limits{};
  /// Sockets open at once: the MQTT limit and some room to answer those past it (CONNACK 3)
  /// and to serve HTTP.
  std::size_t max_sockets() const noexcept { return limits.max_connections + 64; }
};

inline constexpr std::string_view usage = R"(usage: mqttwire-broker [options]
An MQTT 3.1 / 3.1.1 broker built on mqttwire.
  --bind ADDR             address to listen on (default 127.0.0.1)
  --port N                MQTT over TCP (default 1883; 0: any free port)
  --ws-port N             HTTP on this port: MQTT over WebSockets and static files (default off)
  --http-root DIR         serve static files from DIR on the --ws-port (default: none)
  --persist DIR           keep retained messages and persistent sessions in DIR/broker.log
  --compact-size BYTES    rewrite the log as a snapshot past this size (default 67108864)
  --users FILE            require a user name and password, from lines "name:password"
  --max-connections N     MQTT connections at once; more get CONNACK 3 (default 10000)
  --max-packet-size BYTES largest packet a client may send (default 1048576)
  --max-queued N          QoS 1/2 messages queued per session, online or offline (default 1000)
  --max-inflight N        QoS 1/2 messages sent and not yet acknowledged per client (default 32)
  --max-output BYTES      unsent bytes per client past which QoS 0 is dropped (default 1048576)
  --connect-timeout SECS  time from accepting a socket to its CONNECT (default 10)
  --help                  this text
The log goes to stderr, one line per connection event.
)";

[[noreturn]] inline void usage_error(const std::string& message) {
  std::fprintf(stderr, "mqttwire-broker: %s\n%s", message.c_str(), usage.data());
  std::exit(2);
}

inline std::uint64_t parse_number(std::string_view option, const char* text, std::uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max) {
    usage_error("bad value for " + std::string(option) + ": " + text);
  }
  return v;
}

inline void read_users(const std::string& path, broker_options& o) {
  std::ifstream in(path);
  if (!in) usage_error("cannot read " + path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) usage_error(path + ": expected name:password");
    o.users.insert_or_assign(line.substr(0, colon), line.substr(colon + 1));
  }
  if (o.users.empty()) usage_error(path + ": no users");
}

/// Reads the command line; prints the usage and exits on --help (0) or a mistake (2).
inline config parse_args(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      std::fputs(usage.data(), stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error("unknown option or missing value: " + std::string(opt));
    const char* v = argv[++i];
    const auto size = [&](std::uint64_t max) { return static_cast<std::size_t>(parse_number(opt, v, max)); };
    if (opt == "--bind") c.bind = v;
    else if (opt == "--port") c.port = static_cast<std::uint16_t>(parse_number(opt, v, 65535));
    else if (opt == "--ws-port") c.ws_port = static_cast<std::uint16_t>(parse_number(opt, v, 65535));
    else if (opt == "--http-root") c.http_root = v;
    else if (opt == "--persist") c.persist = v;
    else if (opt == "--compact-size") c.compact_bytes = size(std::uint64_t{1} << 40);
    else if (opt == "--users") read_users(v, c.limits);
    else if (opt == "--max-connections") c.limits.max_connections = size(1'000'000);
    else if (opt == "--max-packet-size") c.limits.max_packet_size = size(mqttwire::max_packet_size);
    else if (opt == "--max-queued") c.limits.max_queued = size(10'000'000);
    else if (opt == "--max-inflight") c.limits.max_inflight = std::max<std::size_t>(1, size(65'535));
    else if (opt == "--max-output") c.limits.max_output = size(std::uint64_t{1} << 32);
    else if (opt == "--connect-timeout") {
      c.limits.connect_timeout = std::chrono::seconds(parse_number(opt, v, 3600));
    } else {
      usage_error("unknown option: " + std::string(opt));
    }
  }
  if (!c.http_root.empty() && !c.ws_port) usage_error("--http-root needs --ws-port");
  return c;
}

/// Raises the soft limit on open files to what `sockets` need (plus some for the log and
/// listeners), up to the hard limit; returns the sockets that fit.
inline std::size_t raise_file_limit(std::size_t sockets) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return sockets;
  const rlim_t want = static_cast<rlim_t>(sockets + 32);
  if (r.rlim_cur < want) {
    r.rlim_cur = r.rlim_max == RLIM_INFINITY ? want : std::min(want, r.rlim_max);
    static_cast<void>(::setrlimit(RLIMIT_NOFILE, &r));
  }
  return r.rlim_cur > 32 ? std::min<std::size_t>(sockets, static_cast<std::size_t>(r.rlim_cur - 32)) : 0;
}

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_CONFIG_HPP
