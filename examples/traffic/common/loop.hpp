// SPDX-License-Identifier: MIT
// traffic: the event loop's parts: TCP address resolution and non-blocking connect, an epoll
// poller, and one timer heap over many owners' deadlines (the sessions' next_deadline()).
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LOOP_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LOOP_HPP

#include <mqttwire/session/state.hpp>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

namespace traffic {

/// A resolved TCP address.
struct endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

/// Resolves `host` (a name or a numeric address) and `port`; throws std::runtime_error.
inline endpoint resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    throw std::runtime_error("cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  endpoint e;
  std::memcpy(&e.addr, res->ai_addr, res->ai_addrlen);
  e.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return e;
}

/// Starts a non-blocking connect: the socket, or -1 (errno set). The connection is up when
/// the socket is writable and SO_ERROR is 0 (see connect_result).
inline int start_connect(const endpoint& e) {
  const int fd = ::socket(e.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.len) != 0 &&
      errno != EINPROGRESS) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/// The outcome of a non-blocking connect once the socket is writable: 0 or an errno value.
inline int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

/// Raises the soft limit on open files to `want` (or the hard limit, if lower; root may raise
/// the hard limit too). Returns the soft limit in force afterwards.
inline rlim_t raise_open_files(rlim_t want) {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur >= want) return r.rlim_cur;
  rlimit n = r;
  n.rlim_cur = want;
  if (n.rlim_max < want) n.rlim_max = want;
  if (::setrlimit(RLIMIT_NOFILE, &n) != 0) {
    n.rlim_max = r.rlim_max;
    n.rlim_cur = r.rlim_max < want ? r.rlim_max : want;
    ::setrlimit(RLIMIT_NOFILE, &n);
  }
  ::getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur;
}

/// An epoll instance; each registration carries a 64-bit tag (here: the owner's index).
class poller {
 public:
  poller() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
  ~poller() { ::close(fd_); }
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  void add(int fd, std::uint32_t events, std::uint64_t tag) { ctl(EPOLL_CTL_ADD, fd, events, tag); }
  void modify(int fd, std::uint32_t events, std::uint64_t tag) {
    ctl(EPOLL_CTL_MOD, fd, events, tag);
  }
  void remove(int fd) { ::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr); }
  /// Waits up to `timeout_ms` (-1: for ever); the ready events are in `out` (cleared first).
  void wait(std::vector<epoll_event>& out, int timeout_ms) {
    out.resize(1024);
    const int n = ::epoll_wait(fd_, out.data(), static_cast<int>(out.size()), timeout_ms);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }

 private:
  void ctl(int op, int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_, op, fd, &ev) != 0) {
      throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }
  int fd_;
};

/// One timer per owner (0 .. n-1) in one binary heap. schedule() keeps the earlier of the
/// pending and the new time, so a deadline that only moves later (a keep-alive pushed back by
/// every publish) costs nothing: the old entry fires, the owner's on_timeout() does nothing
/// yet, and the owner schedules its new deadline. Stale entries are skipped when popped.
class timer_heap {
 public:
  explicit timer_heap(std::size_t owners = 0) : pending_(owners) {}
  void resize(std::size_t owners) { pending_.resize(owners); }

  void schedule(std::uint32_t owner, std::optional<mqttwire::time_point> when) {
    if (!when) return;
    std::optional<mqttwire::time_point>& p = pending_[owner];
    if (p && *p <= *when) return;
    p = when;
    heap_.push({*when, owner});
  }
  /// The earliest pending time.
  std::optional<mqttwire::time_point> next() {
    drop_stale();
    if (heap_.empty()) return std::nullopt;
    return heap_.top().when;
  }
  /// The next owner due at `now`, or nullopt; its entry is taken out.
  std::optional<std::uint32_t> pop_due(mqttwire::time_point now) {
    drop_stale();
    if (heap_.empty() || heap_.top().when > now) return std::nullopt;
    const std::uint32_t owner = heap_.top().owner;
    heap_.pop();
    pending_[owner].reset();
    return owner;
  }
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  struct entry {
    mqttwire::time_point when;
    std::uint32_t owner;
    bool operator>(const entry& o) const { return when > o.when; }
  };
  void drop_stale() {
    while (!heap_.empty() && pending_[heap_.top().owner] != heap_.top().when) heap_.pop();
  }
  std::priority_queue<entry, std::vector<entry>, std::greater<>> heap_;
  std::vector<std::optional<mqttwire::time_point>> pending_;
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_LOOP_HPP
