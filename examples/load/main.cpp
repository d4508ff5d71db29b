// SPDX-License-Identifier: MIT
// mqttwire-load: drives any MQTT 3.1.1 broker from one epoll loop on mqttwire's codec and framer,
// and reports delivered counts, msgs/s, latency percentiles and, for idle connections, the
// broker's resident memory. Linux only (epoll, /proc).
#include <mqttwire/mqttwire.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using steady = std::chrono::steady_clock;

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string scenario;
  std::size_t idle_count = 0;
  mqttwire::qos_level qos = mqttwire::qos_level::at_most_once;
  std::size_t messages = 10000;   // messages published in all (fan-in: split over publishers)
  std::size_t clients = 100;      // publishers for fan-in, subscribers for fan-out
  std::size_t window = 4;         // per publisher: published and not yet delivered everywhere
  std::size_t payload = 32;       // bytes; at least 16 (timestamp, publisher, sequence)
  bool clean_session = true;
  double timeout = 60;            // seconds for the whole run
  double hold = 1;                // idle: seconds to wait before reading the broker's RSS
  long broker_pid = 0;
  std::size_t max_pending = 256;  // connection handshakes in progress at once
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "mqttwire-load: %s\n"
               "usage: mqttwire-load [options] fan-in | fan-out | idle N\n"
               "  --host ADDR --port N      broker (IPv4; default 127.0.0.1:1883)\n"
               "  --qos 0|1                 QoS of publications and subscriptions (default 0)\n"
               "  --messages N              messages published in all (default 10000)\n"
               "  --clients N               fan-in publishers / fan-out subscribers (default 100)\n"
               "  --window N                per publisher, messages not yet delivered (default 4)\n"
               "  --payload BYTES           payload size, >= 16 (default 32)\n"
               "  --clean-session 0|1       (default 1)\n"
               "  --timeout SECS            bound on the run (default 60)\n"
               "  --hold SECS               idle: wait before reading RSS (default 1)\n"
               "  --broker-pid PID          report the broker's VmRSS/VmHWM from /proc\n",
               why.c_str());
  std::exit(2);
}

std::size_t to_size(const std::string& s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') usage("not a number: " + s);
  return static_cast<std::size_t>(v);
}

settings parse_args(int argc, char** argv) {
  settings s;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") s.host = value();
    else if (a == "--port") s.port = static_cast<std::uint16_t>(to_size(value()));
    else if (a == "--qos") {
      const std::size_t q = to_size(value());
      if (q > 1) usage("--qos must be 0 or 1");
      s.qos = static_cast<mqttwire::qos_level>(q);
    } else if (a == "--messages") s.messages = to_size(value());
    else if (a == "--clients") s.clients = to_size(value());
    else if (a == "--window") s.window = to_size(value());
    else if (a == "--payload") s.payload = to_size(value());
    else if (a == "--clean-session") s.clean_session = to_size(value()) != 0;
    else if (a == "--timeout") s.timeout = std::strtod(value().c_str(), nullptr);
    else if (a == "--hold") s.hold = std::strtod(value().c_str(), nullptr);
    else if (a == "--broker-pid") s.broker_pid = static_cast<long>(to_size(value()));
    else if (a == "--help" || a == "-h") usage("help");
    else if (a.starts_with("--")) usage("unknown option " + a);
    else rest.push_back(a);
  }
  if (rest.empty()) usage("no scenario");
  s.scenario = rest[0];
  if (s.scenario == "idle") {
    if (rest.size() != 2) usage("idle needs a count");
    s.idle_count = to_size(rest[1]);
  } else if (s.scenario != "fan-in" && s.scenario != "fan-out") {
    usage("unknown scenario " + s.scenario);
  } else if (rest.size() != 1) {
    usage("too many arguments");
  }
  if (s.payload < 16) usage("--payload must be at least 16");
  if (s.window == 0 || s.window > 30000) usage("--window must be 1..30000");
  if (s.clients == 0) usage("--clients must be at least 1");
  return s;
}

// VmRSS and VmHWM of a process, in KiB, or nullopt if /proc does not say.
struct rss_kib {
  long rss = -1;
  long hwm = -1;
};
rss_kib read_rss(long pid) {
  rss_kib r;
  if (pid <= 0) return r;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) r.rss = std::atol(line.c_str() + 6);
    if (line.starts_with("VmHWM:")) r.hwm = std::atol(line.c_str() + 6);
  }
  return r;
}

enum class role : std::uint8_t { publisher, subscriber, idle };
enum class phase : std::uint8_t { connecting, wait_connack, wait_suback, ready, failed };

struct conn {
  int fd = -1;
  role kind = role::idle;
  std::size_t index = 0;  // among the connections of its role
  phase state = phase::connecting;
  mqttwire::framer in{mqttwire::protocol_version::v3_1_1};
  std::string out;
  std::size_t out_sent = 0;
  bool watching_out = false;
  std::size_t unacked = 0;  // publisher: QoS 1 PUBLISHes without PUBACK
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count());
}

class load {
 public:
  explicit load(const settings& s) : s_(s) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) fail_hard("epoll_create1");
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(s.port);
    if (::inet_pton(AF_INET, s.host.c_str(), &addr_.sin_addr) != 1) usage("bad --host " + s.host);
    deadline_ = steady::now() + std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double>(s.timeout));
    tag_ = std::to_string(::getpid());
  }

  int run() {
    if (s_.scenario == "idle") return run_idle();
    return run_fan(s_.scenario == "fan-in");
  }

 private:
  [[noreturn]] static void fail_hard(const char* what) {
    std::perror(what);
    std::exit(1);
  }

  // --- connections ---------------------------------------------------------------------------

  void add(role kind, std::size_t index) {
    auto c = std::make_unique<conn>();
    c->kind = kind;
    c->index = index;
    conns_.push_back(std::move(c));
  }

  std::string client_id(const conn& c) const {
    const char* r = c.kind == role::publisher ? "p" : c.kind == role::subscriber ? "s" : "i";
    return "load-" + tag_ + "-" + r + std::to_string(c.index);
  }

  void start_connect(std::size_t id) {
    conn& c = *conns_[id];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) fail_hard("socket (raise ulimit -n?)");
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    if (r < 0 && errno != EINPROGRESS) {
      mark_failed(c, "connect");
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = id;
    c.watching_out = true;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) fail_hard("epoll_ctl");
    ++pending_;
  }

  void mark_failed(conn& c, const char* why) {
    if (c.state == phase::failed) return;
    if (c.state == phase::connecting || c.state == phase::wait_connack) --pending_;
    c.state = phase::failed;
    ++failed_;
    if (failed_ <= 5) std::fprintf(stderr, "mqttwire-load: %s %s\n", client_id(c).c_str(), why);
    if (c.fd >= 0) {
      ::close(c.fd);
      c.fd = -1;
    }
  }

  template <class P>
  void queue(conn& c, const P& p) {
    const auto r = mqttwire::encode_to(p, std::back_inserter(c.out));
    if (r.ec != mqttwire::errc::success) {
      std::fprintf(stderr, "mqttwire-load: encode failed: %s\n",
                   std::string(mqttwire::to_string(r.ec)).c_str());
      std::exit(1);
    }
  }

  void watch_out(conn& c, std::size_t id, bool on) {
    if (c.watching_out == on || c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u64 = id;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.watching_out = on;
  }

  void flush(std::size_t id) {
    conn& c = *conns_[id];
    if (c.fd < 0 || c.state == phase::connecting) return;
    while (c.out_sent < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        mark_failed(c, "send");
        return;
      }
      c.out_sent += static_cast<std::size_t>(n);
    }
    if (c.out_sent == c.out.size()) {
      c.out.clear();
      c.out_sent = 0;
    }
    watch_out(c, id, !c.out.empty());
  }

  void on_connected(std::size_t id) {
    conn& c = *conns_[id];
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      mark_failed(c, std::strerror(err));
      return;
    }
    c.state = phase::wait_connack;
    const std::string id_text = client_id(c);
    queue(c, mqttwire::connect{.clean_session = s_.clean_session, .keep_alive = 0,
                               .client_id = id_text});
    flush(id);
  }

  void on_readable(std::size_t id) {
    conn& c = *conns_[id];
    for (;;) {
      const std::span<char> space = c.in.prepare(65536);
      const ssize_t n = ::recv(c.fd, space.data(), space.size(), 0);
      if (n == 0) {
        c.in.commit(0);
        mark_failed(c, "closed by the broker");
        return;
      }
      if (n < 0) {
        c.in.commit(0);
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        mark_failed(c, "recv");
        return;
      }
      c.in.commit(static_cast<std::size_t>(n));
      const mqttwire::error e = c.in.drain([&](const mqttwire::packet& p) {
        on_packet(id, p);
        return c.state != phase::failed;
      });
      if (c.state == phase::failed) return;
      if (e.code != mqttwire::errc::success) {
        mark_failed(c, "protocol error from the broker");
        return;
      }
      if (static_cast<std::size_t>(n) < space.size()) break;
    }
    flush(id);
  }

  void on_packet(std::size_t id, const mqttwire::packet& p) {
    conn& c = *conns_[id];
    if (const auto* ack = std::get_if<mqttwire::connack>(&p)) {
      if (c.state != phase::wait_connack ||
          ack->return_code != mqttwire::connect_return_code::accepted) {
        mark_failed(c, "CONNACK refused");
        return;
      }
      --pending_;
      ++connected_;
      if (c.kind == role::subscriber) {
        c.state = phase::wait_suback;
        const mqttwire::subscription sub{.topic_filter = topic_, .qos = s_.qos};
        queue(c, mqttwire::subscribe{.packet_id = 1, .subscriptions = std::span(&sub, 1)});
      } else {
        c.state = phase::ready;
      }
    } else if (const auto* sa = std::get_if<mqttwire::suback>(&p)) {
      const auto code = *sa->return_codes.begin();
      if (c.state != phase::wait_suback || code == 0x80) {
        mark_failed(c, "SUBACK failure");
        return;
      }
      c.state = phase::ready;
      ++subscribed_;
    } else if (const auto* pub = std::get_if<mqttwire::publish>(&p)) {
      if (pub->qos == mqttwire::qos_level::at_least_once) {
        queue(c, mqttwire::puback{.packet_id = *pub->packet_id});
      }
      on_delivery(c.index, pub->payload);
    } else if (std::holds_alternative<mqttwire::puback>(p)) {
      if (c.unacked > 0) --c.unacked;
      ++pubacks_;
    } else if (std::holds_alternative<mqttwire::pingresp>(p)) {
      // keep-alive is off; nothing to do
    } else {
      mark_failed(c, "unexpected packet");
    }
  }

  // Handshakes are paced (max_pending at once) so that a broker's listen backlog never
  // overflows and a SYN is never retried after a second.
  void pace_connects() {
    while (next_connect_ < conns_.size() && pending_ < s_.max_pending) {
      start_connect(next_connect_++);
    }
  }

  // One epoll round: false once the deadline has passed.
  bool poll(int timeout_ms) {
    if (steady::now() > deadline_) return false;
    epoll_event events[256];
    const int n = ::epoll_wait(ep_, events, 256, timeout_ms);
    if (n < 0 && errno != EINTR) fail_hard("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const std::size_t id = static_cast<std::size_t>(events[i].data.u64);
      conn& c = *conns_[id];
      if (c.state == phase::failed) continue;
      if (c.state == phase::connecting) {
        if ((events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) on_connected(id);
        continue;
      }
      if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_readable(id);
      if (c.state != phase::failed && (events[i].events & EPOLLOUT) != 0) flush(id);
    }
    return true;
  }

  // Connects every connection in conns_ (and subscribes the subscribers); false on failure or
  // at the deadline.
  bool establish(std::size_t subscribers) {
    while (connected_ + failed_ < conns_.size() || subscribed_ + failed_ < subscribers) {
      if (failed_ > 0) return false;
      pace_connects();
      if (!poll(10)) return false;
    }
    return failed_ == 0;
  }

  void say_goodbye() {
    for (std::size_t id = 0; id < conns_.size(); ++id) {
      conn& c = *conns_[id];
      if (c.fd < 0) continue;
      if (c.state == phase::ready) {
        queue(c, mqttwire::disconnect{});
        flush(id);
      }
      ::close(c.fd);
      c.fd = -1;
    }
  }

  // --- fan-in / fan-out -----------------------------------------------------------------------

  // A delivery of (publisher, sequence) to subscriber `sub`: counted once, duplicates and gaps
  // noted, and the publisher's window moved once every subscriber has it.
  void on_delivery(std::size_t sub, std::string_view payload) {
    if (payload.size() < 16) {
      ++foreign_;
      return;
    }
    std::uint64_t sent_at = 0;
    std::uint32_t pub = 0;
    std::uint32_t seq = 0;
    std::memcpy(&sent_at, payload.data(), 8);
    std::memcpy(&pub, payload.data() + 8, 4);
    std::memcpy(&seq, payload.data() + 12, 4);
    if (pub >= publishers_ || sub >= subscribers_) {
      ++foreign_;
      return;
    }
    std::uint32_t& next = next_seq_[sub * publishers_ + pub];
    if (seq < next) {
      ++duplicates_;
      return;
    }
    if (seq > next) ++gaps_;
    next = seq + 1;
    ++received_;
    last_receive_ = now_ns();
    latencies_.push_back(last_receive_ - sent_at);
    std::vector<std::uint32_t>& ring = window_[pub];
    ++ring[seq % s_.window];
    while (done_[pub] < sent_[pub] && ring[done_[pub] % s_.window] >= subscribers_) {
      ring[done_[pub] % s_.window] = 0;
      ++done_[pub];
    }
  }

  void publish_what_the_windows_allow() {
    std::string payload(s_.payload, '.');
    for (std::size_t p = 0; p < publishers_; ++p) {
      const std::size_t id = publisher_conn_[p];
      conn& c = *conns_[id];
      if (c.state != phase::ready) continue;
      bool queued = false;
      while (sent_[p] < quota_[p] && sent_[p] - done_[p] < s_.window &&
             (s_.qos == mqttwire::qos_level::at_most_once || c.unacked < s_.window)) {
        const std::uint64_t t = now_ns();
        if (first_send_ == 0) first_send_ = t;
        const auto pub = static_cast<std::uint32_t>(p);
        const auto seq = static_cast<std::uint32_t>(sent_[p]);
        std::memcpy(payload.data(), &t, 8);
        std::memcpy(payload.data() + 8, &pub, 4);
        std::memcpy(payload.data() + 12, &seq, 4);
        if (s_.qos == mqttwire::qos_level::at_least_once) {
          // Ids cycle through 1..60000; the window keeps at most 30000 in flight.
          const auto packet_id = static_cast<std::uint16_t>(sent_[p] % 60000 + 1);
          queue(c, mqttwire::publish{.qos = s_.qos, .topic = topic_, .packet_id = packet_id,
                                     .payload = payload});
          ++c.unacked;
        } else {
          queue(c, mqttwire::publish{.qos = s_.qos, .topic = topic_, .payload = payload});
        }
        ++sent_[p];
        queued = true;
      }
      if (queued) flush(id);
    }
  }

  int run_fan(bool fan_in) {
    publishers_ = fan_in ? s_.clients : 1;
    subscribers_ = fan_in ? 1 : s_.clients;
    topic_ = "load/" + tag_ + (fan_in ? "/in" : "/out");
    for (std::size_t i = 0; i < subscribers_; ++i) add(role::subscriber, i);
    for (std::size_t i = 0; i < publishers_; ++i) {
      publisher_conn_.push_back(conns_.size());
      add(role::publisher, i);
    }
    quota_.assign(publishers_, s_.messages / publishers_);
    for (std::size_t i = 0; i < s_.messages % publishers_; ++i) ++quota_[i];
    sent_.assign(publishers_, 0);
    done_.assign(publishers_, 0);
    window_.assign(publishers_, std::vector<std::uint32_t>(s_.window, 0));
    next_seq_.assign(publishers_ * subscribers_, 0);
    const std::uint64_t expected = static_cast<std::uint64_t>(s_.messages) * subscribers_;
    latencies_.reserve(static_cast<std::size_t>(expected));

    const bool up = establish(subscribers_);
    const auto need_pubacks = s_.qos == mqttwire::qos_level::at_least_once ? s_.messages : 0;
    bool in_time = up;
    while (in_time && (received_ < expected || pubacks_ < need_pubacks) && failed_ == 0) {
      publish_what_the_windows_allow();
      in_time = poll(received_ < expected ? 5 : 20);
    }
    const std::uint64_t end = received_ > 0 ? last_receive_ : now_ns();
    const rss_kib rss = read_rss(s_.broker_pid);
    say_goodbye();

    const double seconds =
        first_send_ > 0 && end > first_send_ ? static_cast<double>(end - first_send_) / 1e9 : 0;
    std::printf("scenario=%s qos=%u publishers=%zu subscribers=%zu messages=%zu payload=%zu "
                "window=%zu received=%llu expected=%llu duplicates=%llu gaps=%llu pubacks=%llu "
                "failed_connections=%zu seconds=%.3f msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f",
                s_.scenario.c_str(), static_cast<unsigned>(s_.qos), publishers_, subscribers_,
                s_.messages, s_.payload, s_.window, static_cast<unsigned long long>(received_),
                static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(duplicates_), static_cast<unsigned long long>(gaps_),
                static_cast<unsigned long long>(pubacks_), failed_, seconds,
                seconds > 0 ? static_cast<double>(received_) / seconds : 0.0, percentile(0.50),
                percentile(0.99));
    if (rss.rss >= 0) std::printf(" broker_rss_kib=%ld broker_hwm_kib=%ld", rss.rss, rss.hwm);
    std::printf("\n");
    if (!up) std::fprintf(stderr, "mqttwire-load: could not connect and subscribe everyone\n");
    if (!in_time) std::fprintf(stderr, "mqttwire-load: timed out after %.0f s\n", s_.timeout);
    const bool exact = received_ == expected && duplicates_ == 0 && foreign_ == 0 &&
                       pubacks_ == need_pubacks && failed_ == 0;
    return exact ? 0 : 1;
  }

  double percentile(double q) {
    if (latencies_.empty()) return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(latencies_.size() - 1));
    std::nth_element(latencies_.begin(), latencies_.begin() + static_cast<std::ptrdiff_t>(k),
                     latencies_.end());
    return static_cast<double>(latencies_[k]) / 1e3;
  }

  // --- idle ----------------------------------------------------------------------------------

  int run_idle() {
    const rss_kib before = read_rss(s_.broker_pid);
    for (std::size_t i = 0; i < s_.idle_count; ++i) add(role::idle, i);
    const auto start = steady::now();
    const bool up = establish(0);
    const double connect_seconds = std::chrono::duration<double>(steady::now() - start).count();
    // Hold the connections open, still reading, so the broker settles before its RSS is read.
    const auto hold_until = steady::now() + std::chrono::duration_cast<steady::duration>(
                                                std::chrono::duration<double>(s_.hold));
    while (up && steady::now() < hold_until && poll(50)) {
    }
    const rss_kib after = read_rss(s_.broker_pid);
    const std::size_t still_open = static_cast<std::size_t>(
        std::count_if(conns_.begin(), conns_.end(),
                      [](const auto& c) { return c->state == phase::ready; }));
    say_goodbye();
    std::printf("scenario=idle connections=%zu connected=%zu open_at_end=%zu failed_connections=%zu "
                "connect_seconds=%.3f",
                s_.idle_count, connected_, still_open, failed_, connect_seconds);
    if (before.rss >= 0 && after.rss >= 0) {
      const double per = s_.idle_count > 0 ? static_cast<double>(after.rss - before.rss) * 1024.0 /
                                                 static_cast<double>(s_.idle_count)
                                           : 0.0;
      std::printf(" broker_rss_before_kib=%ld broker_rss_kib=%ld broker_hwm_kib=%ld "
                  "bytes_per_connection=%.0f",
                  before.rss, after.rss, after.hwm, per);
    }
    std::printf("\n");
    if (!up) std::fprintf(stderr, "mqttwire-load: not every connection was accepted\n");
    return up && still_open == s_.idle_count ? 0 : 1;
  }

  const settings& s_;
  int ep_ = -1;
  sockaddr_in addr_{};
  steady::time_point deadline_;
  std::string tag_;
  std::string topic_;
  std::vector<std::unique_ptr<conn>> conns_;
  std::size_t next_connect_ = 0;
  std::size_t pending_ = 0;
  std::size_t connected_ = 0;
  std::size_t subscribed_ = 0;
  std::size_t failed_ = 0;

  std::size_t publishers_ = 0;
  std::size_t subscribers_ = 0;
  std::vector<std::size_t> publisher_conn_;
  std::vector<std::size_t> quota_;
  std::vector<std::size_t> sent_;
  std::vector<std::size_t> done_;  // messages every subscriber has received, per publisher
  std::vector<std::vector<std::uint32_t>> window_;
  std::vector<std::uint32_t> next_seq_;
  std::vector<std::uint64_t> latencies_;
  std::uint64_t received_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t gaps_ = 0;
  std::uint64_t foreign_ = 0;
  std::uint64_t pubacks_ = 0;
  std::uint64_t first_send_ = 0;
  std::uint64_t last_receive_ = 0;
};

// Idle runs need a descriptor per connection: take the hard limit.
void raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_args(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  raise_file_limit();
  load run(s);
  return run.run();
}
