// SPDX-License-Identifier: MIT
// The README's client loop over a POSIX socket, compiled and run against a server_session that
// this test runs on 127.0.0.1 (a free port, a thread, a bounded time).
#include "doc_snippets.hpp"

#include <doctest/doctest.h>

#include <mqttwire/mqttwire.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

// snippet: client-loop
// Connects to 127.0.0.1:port, subscribes to "demo/#", publishes one QoS 1 message there and
// returns 0 once it has come back and our PUBLISH has been acknowledged.
int demo_client(std::uint16_t port) {
  using namespace mqttwire;
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // With `using namespace mqttwire`, `connect` names both the socket call and the packet:
  // qualify both (::connect, mqttwire::connect).
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 1;
  client_session s;
  static_cast<void>(s.open(mqttwire::connect{.keep_alive = 30, .client_id = "demo"}, now()));
  static constexpr subscription subs[] = {{"demo/#", qos_level::at_least_once}};
  bool echoed = false, acknowledged = false;
  for (;;) {
    while (const auto e = s.poll_event()) {  // 1. what happened
      if (std::holds_alternative<events::connected>(*e)) {
        static_cast<void>(s.subscribe(subs, now()));
      } else if (std::holds_alternative<events::subscribed>(*e)) {
        static_cast<void>(s.publish(
            {.qos = qos_level::at_least_once, .topic = "demo/hello", .payload = "hi"}, now()));
      } else if (const auto* m = std::get_if<events::message>(&*e)) {
        std::printf("%.*s: %.*s\n", static_cast<int>(m->msg.topic.size()), m->msg.topic.data(),
                    static_cast<int>(m->msg.payload.size()), m->msg.payload.data());
        echoed = true;
      } else if (std::holds_alternative<events::delivered>(*e)) {
        acknowledged = true;
      } else if (std::holds_alternative<events::closed>(*e)) {
        ::close(fd);
        return 1;
      }
    }
    for (bytes_view out = s.output(); !out.empty(); out = s.output()) {  // 2. bytes out
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      s.consume_output(static_cast<std::size_t>(n));
    }
    if (echoed && acknowledged) break;
    int wait_ms = -1;  // 3. wait for bytes in, or for the session's next deadline
    if (const auto d = s.next_deadline()) {
      wait_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*d - now()).count()));
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) > 0) {
      const std::span<char> in = s.prepare(4096);
      const ssize_t n = ::recv(fd, in.data(), in.size(), 0);
      n > 0 ? s.commit(static_cast<std::size_t>(n), now()) : s.connection_lost(now());
    }
    s.on_timeout(now());
  }
  s.disconnect(now());
  static_cast<void>(::send(fd, s.output().data(), s.output().size(), MSG_NOSIGNAL));
  ::close(fd);
  return 0;
}
// end snippet

namespace {

// One connection served by a server_session: accepts the CONNECT, grants every subscription up
// to QoS 2, and sends each PUBLISH back to the client if it subscribed to it. Returns what the
// session saw last (its closed event), or gives up after `limit`.
struct served {
  std::vector<std::string> routed;
  mqttwire::events::closed end{};
  bool ended = false;
};

served serve_one(int listener, std::chrono::seconds limit) {
  using namespace mqttwire;
  served result;
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const auto give_up = now() + limit;
  pollfd lp{listener, POLLIN, 0};
  if (::poll(&lp, 1, static_cast<int>(limit.count() * 1000)) <= 0) return result;
  const int fd = ::accept(listener, nullptr, nullptr);
  server_session s({}, now());
  std::vector<stored_subscription> subs;
  while (!result.ended && now() < give_up) {
    while (const auto e = s.poll_event()) {
      if (std::holds_alternative<events::connect_requested>(*e)) {
        static_cast<void>(s.accept(now()));
      } else if (const auto* r = std::get_if<events::subscribe_requested>(&*e)) {
        static_cast<void>(s.grant_up_to(r->packet_id, qos_level::exactly_once, now()));
        subs = s.export_state().subscriptions;
      } else if (const auto* m = std::get_if<events::message>(&*e)) {
        result.routed.push_back(std::string(m->msg.topic));
        for (const stored_subscription& sub : subs) {
          if (!topic_matches(sub.topic_filter, m->msg.topic)) continue;
          const auto kept = make_shared_message(m->msg);
          if (kept) static_cast<void>(s.deliver(*kept, sub.qos, false, now()));
        }
      } else if (const auto* x = std::get_if<events::closed>(&*e)) {
        result.end = *x;
        result.ended = true;
      }
    }
    for (bytes_view out = s.output(); !out.empty(); out = s.output()) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      s.consume_output(static_cast<std::size_t>(n));
    }
    pollfd p{fd, POLLIN, 0};
    if (!result.ended && ::poll(&p, 1, 100) > 0) {
      const std::span<char> in = s.prepare(4096);
      const ssize_t n = ::recv(fd, in.data(), in.size(), 0);
      if (n > 0) s.commit(static_cast<std::size_t>(n), now());
      if (n <= 0) s.connection_lost(now());
    }
    s.on_timeout(now());
  }
  ::close(fd);
  return result;
}

}  // namespace

TEST_CASE("readme: the client loop runs against a server_session on 127.0.0.1") {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;  // the kernel picks a free port
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::uint16_t port = ntohs(addr.sin_port);

  served server;
  std::thread t([&] { server = serve_one(listener, std::chrono::seconds(20)); });
  const int rc = demo_client(port);
  t.join();
  ::close(listener);
  CHECK(rc == 0);
  CHECK(server.routed == std::vector<std::string>{"demo/hello"});
  CHECK(server.ended);
  CHECK(server.end.reason == mqttwire::error{});  // the client said DISCONNECT
  CHECK_FALSE(server.end.publish_will);
}

TEST_CASE("readme: the README shows this client loop, whole, under \"A client in 60 lines\"") {
  const auto snippets =
      doc_snippets::snippets_in(doc_snippets::read_file("tests/test_readme_session.cpp"));
  REQUIRE(snippets.size() == 1);
  CHECK(snippets[0].name == "client-loop");
  const std::string& loop = snippets[0].code;
  CHECK(std::count(loop.begin(), loop.end(), '\n') <= 60);
  const std::string readme = doc_snippets::read_file("README.md");
  const std::string_view heading = "\n## A client in 60 lines\n";
  const auto section = readme.find(heading);
  REQUIRE(section != std::string::npos);
  const auto next_section = readme.find("\n## ", section + heading.size());
  const std::string body = readme.substr(section, next_section - section);
  const auto blocks = doc_snippets::cpp_blocks(body);
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0] == loop);
}
