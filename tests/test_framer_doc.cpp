// SPDX-License-Identifier: MIT
// The snippets of docs/framer.md, compiled and run, and the check that the document shows
// exactly them.
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
  mqttwire::framer f;  // 3.1.1 rules, no size limit but the protocol's
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

TEST_CASE("framer doc: the read loop takes packets from a socket") {
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

// snippet: server-reader
// A server's side of one connection: CONNECT first and once, packets of at most 64 KiB. The
// framer takes the CONNECT's protocol version for the packets after it.
struct server_reader {
  mqttwire::framer f{mqttwire::protocol_version::v3_1_1,
                     {.max_packet_size = 64 * 1024, .require_connect_first = true}};
  std::vector<mqttwire::packet_type> seen;

  // Takes one chunk read from the socket. An error means: close the connection.
  mqttwire::error on_bytes(mqttwire::bytes_view chunk) {
    f.feed(chunk);
    return f.drain([&](const mqttwire::packet& p) { seen.push_back(mqttwire::type_of(p)); });
  }
};
// end snippet

TEST_CASE("framer doc: a server's reader takes CONNECT first, its version, and a size limit") {
  using mqttwire::error;
  using mqttwire::errc;
  using mqttwire::packet_type;
  // A 3.1 CONNECT, then a 3.1 PUBREL retransmitted with DUP (6A), legal only under 3.1 rules.
  const auto connect_v31 = "\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01" "c"sv;
  const auto pubrel_dup = "\x6a\x02\x00\x01"sv;
  server_reader r;
  CHECK(r.on_bytes(mqttwire::bytes_view(connect_v31.substr(0, 5))) == error{});
  CHECK(r.seen.empty());
  CHECK(r.on_bytes(mqttwire::bytes_view(connect_v31.substr(5))) == error{});
  CHECK(r.on_bytes(mqttwire::bytes_view(pubrel_dup)) == error{});
  CHECK(r.seen == std::vector{packet_type::connect, packet_type::pubrel});
  CHECK(r.f.version() == mqttwire::protocol_version::v3_1);
  // A second CONNECT is refused at its first byte, and the error sticks.
  CHECK(r.on_bytes(mqttwire::bytes_view(connect_v31)) ==
        error{errc::second_connect, connect_v31.size() + pubrel_dup.size()});
  CHECK(r.on_bytes(mqttwire::bytes_view(pubrel_dup)) ==
        error{errc::second_connect, connect_v31.size() + pubrel_dup.size()});

  // Anything but CONNECT first is refused at its first byte: an HTTP request, a PINGREQ.
  server_reader http;
  CHECK(http.on_bytes(mqttwire::bytes_view("GET / HTTP/1.1\r\n"sv)) ==
        error{errc::first_packet_not_connect, 0});
  CHECK(http.f.fault_offset() == 0);
  server_reader early;
  CHECK(early.on_bytes(mqttwire::bytes_view("\xc0\x00"sv)) ==
        error{errc::first_packet_not_connect, 0});

  // A PUBLISH announcing more than 64 KiB is refused from its fixed header alone.
  server_reader big;
  const auto connect_v311 = "\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01" "c"sv;
  const auto huge_head = "\x30\x81\x80\x04"sv;  // Remaining Length 65,537
  CHECK(big.on_bytes(mqttwire::bytes_view(connect_v311)) == error{});
  CHECK(big.on_bytes(mqttwire::bytes_view(huge_head)) ==
        error{errc::packet_too_large, connect_v311.size()});
  CHECK(big.f.fault_offset() == connect_v311.size() + 1);  // the Remaining Length field
  CHECK(big.f.capacity() < 1024);  // no room was made for the announced body
}

TEST_CASE("framer doc: the document shows exactly the snippets compiled here") {
  const auto blocks = doc_snippets::check_document("docs/framer.md", {"tests/test_framer_doc.cpp"});
  CHECK(blocks.size() == 2);
}
