// SPDX-License-Identifier: MIT
// traffic: one MQTT client connection on the shared event loop: a non-blocking socket and a
// client_session, the one pump (events, then output, then the deadline), and reconnection with
// a jittered back-off that keeps a persistent session.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LINK_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LINK_HPP

#include "common/loop.hpp"

#include <mqttwire/session/client.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace traffic {

/// What a link connects with. The strings are kept by the link (the CONNECT views them).
struct link_config {
  std::string client_id;
  std::uint16_t keep_alive = 30;  ///< seconds
  bool clean_session = false;     ///< false: the broker keeps the session across reconnects
  std::optional<std::string> will_topic{};
  std::string will_payload{};
  mqttwire::qos_level will_qos = mqttwire::qos_level::at_least_once;
  bool will_retain = true;
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{4'000};
  std::chrono::milliseconds tcp_timeout{10'000};
  mqttwire::client_options session{};
};

/// One client connection. The owner registers nothing itself: the link adds and removes its
/// socket in the poller under `tag`, and reports its next deadline for the owner's timer_heap.
/// Every input (on_io, on_timer, or a command on session() followed by pump()) ends in pump(),
/// which hands each event to the owner's callback, writes what it can and re-arms the socket.
class mqtt_link {
 public:
  enum class phase : std::uint8_t { idle, tcp_connecting, mqtt, backoff, stopped };

  mqtt_link(link_config cfg, std::uint64_t tag, std::uint64_t seed)
      : cfg_(std::move(cfg)), session_(cfg_.session), tag_(tag), jitter_(seed | 1) {
    // built once, viewing cfg_'s strings (the link is neither copied nor moved)
    connect_.clean_session = cfg_.clean_session;
    connect_.keep_alive = cfg_.keep_alive;
    connect_.client_id = cfg_.client_id;
    if (cfg_.will_topic) {
      connect_.will = mqttwire::last_will{*cfg_.will_topic, cfg_.will_payload, cfg_.will_qos,
                                          cfg_.will_retain};
    }
  }
  mqtt_link(const mqtt_link&) = delete;
  mqtt_link& operator=(const mqtt_link&) = delete;
  ~mqtt_link() {
    if (fd_ >= 0) ::close(fd_);
  }

  mqttwire::client_session& session() noexcept { return session_; }
  const mqttwire::client_session& session() const noexcept { return session_; }
  phase state() const noexcept { return phase_; }
  bool connected() const noexcept {
    return phase_ == phase::mqtt && session_.state() == mqttwire::link_state::connected;
  }
  std::uint64_t tcp_attempts() const noexcept { return attempts_total_; }

  /// Starts (or restarts) connecting now.
  void start(poller& p, const endpoint& broker, mqttwire::time_point now) {
    broker_ = &broker;
    connect_tcp(p, now);
  }

  /// The socket is ready (`events` from epoll).
  template <class OnEvent>
  void on_io(poller& p, std::uint32_t events, mqttwire::time_point now, OnEvent&& on_event) {
    if (phase_ == phase::tcp_connecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (connect_result(fd_) != 0) return fail(p, now);
      phase_ = phase::mqtt;
      attempts_ = 0;
      static_cast<void>(session_.open(connect_, now));
      return pump(p, now, on_event);
    }
    if (phase_ != phase::mqtt) return;
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
      for (int round = 0; round < 4; ++round) {  // a bounded share of the loop per wake-up
        const std::span<char> in = session_.prepare(16 * 1024);
        const ssize_t n = ::recv(fd_, in.data(), in.size(), 0);
        if (n > 0) {
          session_.commit(static_cast<std::size_t>(n), now);
          if (static_cast<std::size_t>(n) < in.size()) break;
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        session_.connection_lost(now);  // 0: the broker closed; < 0: an error
        break;
      }
    }
    pump(p, now, on_event);
  }

  /// The deadline given by deadline() has come (early calls do nothing).
  template <class OnEvent>
  void on_timer(poller& p, mqttwire::time_point now, OnEvent&& on_event) {
    switch (phase_) {
      case phase::tcp_connecting:
        if (now >= tcp_deadline_) fail(p, now);
        return;
      case phase::backoff:
        if (now >= retry_at_) connect_tcp(p, now);
        return;
      case phase::mqtt:
        session_.on_timeout(now);
        return pump(p, now, on_event);
      case phase::idle:
      case phase::stopped:
        return;
    }
  }

  /// Drains the session: every event to `on_event(const mqttwire::client_event&)`, then the
  /// output to the socket. A closed event ends the connection: the link waits a jittered
  /// back-off and connects again (unless stop() was asked).
  template <class OnEvent>
  void pump(poller& p, mqttwire::time_point now, OnEvent&& on_event) {
    if (phase_ != phase::mqtt) return;
    bool closed = false;
    while (const auto e = session_.poll_event()) {
      on_event(*e);
      if (std::holds_alternative<mqttwire::events::closed>(*e)) closed = true;
    }
    flush(p);
    if (closed) {
      close_socket(p);
      if (stopping_) {
        phase_ = phase::stopped;
      } else {
        enter_backoff(now);
      }
    }
  }

  /// Ends the connection on purpose: DISCONNECT (no will), written, socket closed.
  template <class OnEvent>
  void stop(poller& p, mqttwire::time_point now, OnEvent&& on_event) {
    stopping_ = true;
    if (phase_ == phase::mqtt) {
      session_.disconnect(now);
      pump(p, now, on_event);
    }
    close_socket(p);
    phase_ = phase::stopped;
  }

  /// When on_timer() is next needed.
  std::optional<mqttwire::time_point> deadline() const {
    switch (phase_) {
      case phase::tcp_connecting: return tcp_deadline_;
      case phase::backoff: return retry_at_;
      case phase::mqtt: return session_.next_deadline();
      case phase::idle:
      case phase::stopped: return std::nullopt;
    }
    return std::nullopt;
  }

 private:
  void connect_tcp(poller& p, mqttwire::time_point now) {
    close_socket(p);
    ++attempts_;
    ++attempts_total_;
    fd_ = start_connect(*broker_);
    if (fd_ < 0) return enter_backoff(now);  // out of descriptors, say: try again later
    phase_ = phase::tcp_connecting;
    tcp_deadline_ = now + cfg_.tcp_timeout;
    p.add(fd_, EPOLLOUT, tag_);  // writable: the connect has finished, one way or the other
    armed_ = EPOLLOUT;
  }
  void fail(poller& p, mqttwire::time_point now) {
    close_socket(p);
    enter_backoff(now);
  }
  void enter_backoff(mqttwire::time_point now) {
    phase_ = phase::backoff;
    // min * 2^(attempts-1), capped, then a random point in its upper half (spreads a fleet)
    auto wait = cfg_.backoff_min;
    for (unsigned i = 1; i < std::min(attempts_, 8u) && wait < cfg_.backoff_max; ++i) wait *= 2;
    wait = std::min(wait, cfg_.backoff_max);
    jitter_ ^= jitter_ << 13;
    jitter_ ^= jitter_ >> 7;
    jitter_ ^= jitter_ << 17;
    const auto half = wait.count() / 2;
    retry_at_ = now + std::chrono::milliseconds(
                          half + static_cast<std::int64_t>(jitter_ % static_cast<std::uint64_t>(half + 1)));
  }
  void close_socket(poller& p) {
    if (fd_ < 0) return;
    p.remove(fd_);
    ::close(fd_);
    fd_ = -1;
    armed_ = 0;
  }
  // Writes what the socket takes; waits for EPOLLOUT only while something is left.
  void flush(poller& p) {
    if (fd_ < 0) return;
    for (mqttwire::bytes_view out = session_.output(); !out.empty(); out = session_.output()) {
      const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        session_.consume_output(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // the peer is gone: the session learns it from the read side (EPOLLHUP / recv 0)
      break;
    }
    const std::uint32_t want = EPOLLIN | (session_.wants_write() ? EPOLLOUT : 0u);
    if (want != armed_) {
      p.modify(fd_, want, tag_);
      armed_ = want;
    }
  }

  link_config cfg_;
  mqttwire::connect connect_{};
  mqttwire::client_session session_;
  std::uint64_t tag_;
  std::uint64_t jitter_;
  const endpoint* broker_ = nullptr;
  int fd_ = -1;
  phase phase_ = phase::idle;
  bool stopping_ = false;
  std::uint32_t armed_ = 0;  // the events the socket is registered for
  unsigned attempts_ = 0;
  std::uint64_t attempts_total_ = 0;
  mqttwire::time_point tcp_deadline_{};
  mqttwire::time_point retry_at_{};
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LINK_HPP
