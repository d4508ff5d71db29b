// SPDX-License-Identifier: MIT
// The snippets of docs/readme-framer-topics.md, compiled and run (keep the two in step).
#include "doc_snippets.hpp"

#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;

// snippet: read-loop
// Reads packets from a connected socket until the peer closes or breaks the protocol.
template <class Handler>
mqttwire::error read_loop(int fd, Handler&& on_packet) {
  mqttwire::framer f;  // 3.1.1 rules; a server calls f.set_version() after CONNECT
  for (;;) {
    std::span<char> space = f.prepare(4096);  // recv() straight into the framer's buffer
    const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
    if (n <= 0) return f.end_of_stream();  // {} on a clean close, incomplete if a packet was cut
    f.commit(static_cast<std::size_t>(n));
    for (auto p = f.next(); p || p.code() != mqttwire::errc::incomplete; p = f.next()) {
      if (!p) return p.error();  // sticky; offset = stream offset of the bad packet
      on_packet(*p);             // views into *p are valid until the next prepare()
    }
  }
}
// end snippet

// snippet: subscription-lookup
struct broker {
  mqttwire::subscription_index<std::uint64_t> subs;  // (filter, client id) pairs
  std::vector<std::pair<std::uint64_t, std::string>> sent;

  std::vector<std::uint8_t> on_subscribe(std::uint64_t client, const mqttwire::subscribe& s) {
    std::vector<std::uint8_t> codes;  // the SUBACK's return codes
    for (const mqttwire::subscription sub : s.subscriptions) {
      const bool ok = subs.add(sub.topic_filter, client).has_value();  // refuses bad filters
      codes.push_back(ok ? static_cast<std::uint8_t>(sub.qos) : mqttwire::suback_code::failure);
    }
    return codes;
  }
  void on_publish(const mqttwire::publish& p) {
    subs.match(p.topic, [&](std::uint64_t client, std::string_view filter) {
      sent.emplace_back(client, filter);  // deliver p to client
    });
  }
};
// end snippet

TEST_CASE("readme: the read loop takes packets from a socket") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  // Two packets, then one cut short: the end of stream reports it.
  const auto wire = "\x32\x09\x00\x03" "a/b" "\x00\x0a" "hi" "\xc0\x00" "\x40\x02\x00"sv;
  REQUIRE(::send(fds[1], wire.data(), wire.size(), 0) == static_cast<ssize_t>(wire.size()));
  ::shutdown(fds[1], SHUT_WR);
  std::vector<mqttwire::packet_type> seen;
  const mqttwire::error end =
      read_loop(fds[0], [&](const mqttwire::packet& p) { seen.push_back(mqttwire::type_of(p)); });
  CHECK(seen == std::vector{mqttwire::packet_type::publish, mqttwire::packet_type::pingreq});
  CHECK(end == mqttwire::error{mqttwire::errc::incomplete, 13});
  ::close(fds[0]);
  ::close(fds[1]);

  // A protocol error stops the loop with the offset of the bad packet.
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  const auto bad = "\xc0\x00" "\x40\x02\x00\x00"sv;  // PUBACK with packet id 0 at offset 2
  REQUIRE(::send(fds[1], bad.data(), bad.size(), 0) == static_cast<ssize_t>(bad.size()));
  CHECK(read_loop(fds[0], [](const mqttwire::packet&) {}) ==
        mqttwire::error{mqttwire::errc::packet_id_zero, 2});
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("readme: a broker's subscription lookup") {
  broker b;
  const mqttwire::subscription filters[] = {{"sport/tennis/+", mqttwire::qos_level::at_least_once},
                                            {"sport/#", mqttwire::qos_level::at_most_once}};
  CHECK(b.on_subscribe(7, mqttwire::subscribe{1, false, filters}) == std::vector<std::uint8_t>{1, 0});
  const std::span<const mqttwire::subscription> second(filters + 1, 1);
  CHECK(b.on_subscribe(8, mqttwire::subscribe{1, false, second}) == std::vector<std::uint8_t>{0});
  const mqttwire::subscription bad[] = {{"sport/#/x", mqttwire::qos_level::at_most_once}};
  CHECK(b.on_subscribe(9, mqttwire::subscribe{2, false, bad}) == std::vector<std::uint8_t>{0x80});
  b.on_publish(mqttwire::publish{.topic = "sport/tennis/player1"});
  std::sort(b.sent.begin(), b.sent.end());
  CHECK(b.sent == std::vector<std::pair<std::uint64_t, std::string>>{
                      {7, "sport/#"}, {7, "sport/tennis/+"}, {8, "sport/#"}});
}

TEST_CASE("readme: every code block of docs/readme-framer-topics.md is in this file") {
  const auto blocks = doc_snippets::check_document("docs/readme-framer-topics.md", {"tests/test_framer_readme.cpp"});
  CHECK(blocks.size() == 2);
}
