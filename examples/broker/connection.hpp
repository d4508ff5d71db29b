// SPDX-License-Identifier: MIT
// mqttwire-broker: one client connection: its transport (TCP, or WebSocket binary messages),
// its server_session, its place in the deadline queue, and one read and one write in flight.
#ifndef MQTTWIRE_EXAMPLES_BROKER_CONNECTION_HPP
#define MQTTWIRE_EXAMPLES_BROKER_CONNECTION_HPP

#include "broker.hpp"
#include "deadlines.hpp"
#include "handler_memory.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqttwire_broker {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
/// The broker runs one io_context on one thread, so its MQTT sockets name that executor type
/// rather than the type-erased any_io_executor: 32 bytes less in every socket, and Asio's
/// pending operations on them do not carry (and track work through) an any_io_executor each.
using executor = net::io_context::executor_type;
using tcp_socket = net::basic_stream_socket<tcp, executor>;
using tcp_acceptor = net::basic_socket_acceptor<tcp, executor>;

/// Sockets open (MQTT connections and HTTP sessions before their upgrade) and the cap on them,
/// shared by the listeners; a socket_slot holds one.
struct socket_budget {
  std::size_t open = 0;
  std::size_t max = 0;
};
class socket_slot {
 public:
  explicit socket_slot(socket_budget& b) noexcept : budget_(&b) { ++budget_->open; }
  socket_slot(socket_slot&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)) {}
  socket_slot& operator=(socket_slot&&) = delete;
  ~socket_slot() {
    if (budget_ != nullptr) --budget_->open;
  }

 private:
  socket_budget* budget_;
};

inline std::string to_string(const tcp::endpoint& e) {
  beast::error_code ec;
  const std::string host = e.address().to_string(ec);
  return (e.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(e.port());
}

// ---------------------------------------------------------------- transports
//
// What a connection needs of its byte stream: read some, write all, close. MQTT over TCP is
// the socket itself; MQTT over WebSockets (3.1.1 §6) is the payload of binary messages, read
// as a byte stream, so a packet may span messages and a message may hold several packets.

/// MQTT on a TCP socket.
class tcp_transport {
 public:
  explicit tcp_transport(tcp_socket s) : socket_(std::move(s)) {
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
  }
  /// TCP can say when bytes have arrived, and how many, before a buffer is given to them.
  static constexpr bool waits_readable = true;
  template <class Handler>
  void async_wait_readable(Handler&& h) {
    socket_.async_wait(tcp::socket::wait_read, std::forward<Handler>(h));
  }
  std::size_t available() const {
    beast::error_code ec;
    return socket_.available(ec);
  }
  template <class Handler>
  void async_read_some(net::mutable_buffer b, Handler&& h) {
    socket_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Handler>
  void async_write(net::const_buffer b, Handler&& h) {
    net::async_write(socket_, b, std::forward<Handler>(h));
  }
  /// Whether what was just read may be MQTT (always, on TCP).
  bool read_binary() const noexcept { return true; }
  template <class Handler>
  void async_close(Handler&& h) {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    net::post(socket_.get_executor(), std::forward<Handler>(h));
  }
  void abort() {
    beast::error_code ec;
    socket_.close(ec);
  }
  tcp::endpoint remote() const {
    beast::error_code ec;
    return socket_.remote_endpoint(ec);
  }
  /// Appended to the address in the log.
  std::string_view via() const noexcept { return {}; }
  executor get_executor() { return socket_.get_executor(); }

 private:
  tcp_socket socket_;
};

/// MQTT in the binary messages of a WebSocket whose handshake is done (listener.hpp).
class ws_transport {
 public:
  /// `via` is appended to the address in the log (" via=ws:mqtt").
  ws_transport(websocket::stream<beast::tcp_stream> ws, std::string via)
      : ws_(std::move(ws)), via_(std::move(via)) {
    ws_.binary(true);     // [MQTT-6.0.0-1]: MQTT goes in binary data frames
    ws_.read_message_max(0);  // the session bounds packets, and a message may hold many
  }
  /// Beast buffers what it has read of a frame, so readiness of the socket says nothing: the
  /// connection reads straight away.
  static constexpr bool waits_readable = false;
  template <class Handler>
  void async_read_some(net::mutable_buffer b, Handler&& h) {
    ws_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Handler>
  void async_write(net::const_buffer b, Handler&& h) {
    ws_.async_write(b, std::forward<Handler>(h));
  }
  /// [MQTT-6.0.0-1]: a text frame is a protocol error; the connection is closed.
  bool read_binary() const noexcept { return ws_.got_binary(); }
  template <class Handler>
  void async_close(Handler&& h) {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    ws_.async_close(websocket::close_code::normal, std::forward<Handler>(h));
  }
  void abort() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }
  tcp::endpoint remote() const {
    beast::error_code ec;
    return beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
  }
  std::string_view via() const noexcept { return via_; }
  net::any_io_executor get_executor() { return ws_.get_executor(); }

 private:
  websocket::stream<beast::tcp_stream> ws_;
  std::string via_;
};

// ---------------------------------------------------------------- the connection

/// What a connection is to the deadline queue and to its pending operations: a peer with a
/// deadline, counted intrusively (boost::intrusive_ptr). A shared_ptr would cost every
/// connection a control block and enable_shared_from_this (32 bytes) and every handler two
/// pointers; this costs a 32-bit count (in the deadline's padding) and handlers of one pointer.
/// Its virtual functions share the peer's vtable.
class connection_base : public peer, public deadline_member {
 public:
  using peer::peer;
  /// The deadline given to the queue has passed (see basic_deadline_queue).
  virtual void on_deadline(time_point now) = 0;

 private:
  friend void intrusive_ptr_add_ref(connection_base* c) noexcept { ++c->refs_; }
  friend void intrusive_ptr_release(connection_base* c) noexcept {
    if (--c->refs_ == 0) delete c;
  }
  std::uint32_t refs_ = 0;
};
using deadline_queue = basic_deadline_queue<connection_base>;

/// One client connection. Every input (bytes, end of stream, the timer, a wake from the broker)
/// ends in flush(): the broker handles the session's events, then the output is written (one
/// write in flight, the session's buffer swapped out for it), the next read is started (one in
/// flight, paused while too much output waits: a client that does not read stops being read),
/// and the connection's deadline is queued (deadlines.hpp). When the session has closed, what is
/// left of its output is written and the transport closed, within a grace period.
/// Made with new and held by boost::intrusive_ptr (see connection_base).
template <class Transport>
class connection final : public connection_base {
 public:
  connection(Transport t, broker& b, deadline_queue& deadlines, socket_slot slot)
      : connection_base(b.session_options(), clock::now()),
        transport_(std::move(t)),
        broker_(b),
        deadlines_(deadlines),
        slot_(std::move(slot)),
        address_(mqttwire_broker::to_string(transport_.remote())) {}
  ~connection() override { broker_.detach(*this); }

  void start() { flush(); }

  std::string address() const override { return address_ + std::string(transport_.via()); }
  void wake() override {
    if (flush_posted_) return;
    flush_posted_ = true;
    net::post(transport_.get_executor(), [self = ref()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

 private:
  static constexpr std::size_t read_size = 16 * 1024;  // the most one read takes
  static constexpr std::size_t min_read_size = 256;
  static constexpr auto linger = std::chrono::seconds(5);  // to write the last bytes, then close
  static constexpr std::size_t wait_room = 72;  // the wait for readability (handler_memory.hpp)

  boost::intrusive_ptr<connection> ref() noexcept { return boost::intrusive_ptr<connection>(this); }

  // The handler of the wait for readability, the one operation an idle connection has in
  // flight: one pointer, and its operation is made in wait_memory_ rather than on the heap.
  struct readable_handler {
    boost::intrusive_ptr<connection> self;
    using allocator_type = handler_allocator<char, wait_room>;
    allocator_type get_allocator() const noexcept { return allocator_type(self->wait_memory_); }
    void operator()(beast::error_code ec) const { self->on_readable(ec); }
  };

  void flush() {
    const time_point now = clock::now();
    broker_.pump(*this, now);
    write();
    if (session.state() == link_state::disconnected) {
      if (!closing_) {
        closing_ = true;
        closing_deadline_ = now + linger;
      }
      if (!writing_ && (broken_ || !session.wants_write())) close();
    } else {
      read();
    }
    queue_deadline();
  }

  // Reading. Most connections of a broker are idle most of the time, so a connection waiting
  // for its peer holds no read buffer: it frees the session's (release_idle_memory) and waits
  // for the socket to be readable, then reads what has arrived into a buffer of that size. A
  // read that filled its buffer is followed by another straight away (more is likely waiting).
  void read() {
    if (reading_ || broken_ || session.output().size() > broker_.options().max_output) return;
    reading_ = true;
    if constexpr (Transport::waits_readable) {
      if (!more_waiting_) {
        session.release_idle_memory();
        if (!writing_) std::vector<char>().swap(out_);  // the last write's buffer
        transport_.async_wait_readable(readable_handler{ref()});
        return;
      }
    }
    read_some(read_size);
  }
  void on_readable(beast::error_code ec) {
    if (ec) return on_read(ec, 0);
    // At the end of the stream nothing is available; the read then reports it.
    read_some(std::clamp(transport_.available(), min_read_size, read_size));
  }
  void read_some(std::size_t size) {
    const std::span<char> into = session.prepare(size);
    transport_.async_read_some(
        net::buffer(into.data(), into.size()),
        [self = ref(), size](beast::error_code ec, std::size_t n) {
          self->more_waiting_ = !ec && n == size;
          self->on_read(ec, n);
        });
  }
  void on_read(beast::error_code ec, std::size_t n) {
    reading_ = false;
    const time_point now = clock::now();
    if (ec) {
      broken_ = true;
      session.connection_lost(now);
    } else if (!transport_.read_binary()) {
      session.close(errc::unexpected_packet, now);  // logged by the broker as a protocol error
    } else {
      session.commit(n, now);
    }
    flush();
  }

  void write() {
    if (writing_ || broken_ || !session.wants_write() || broker_.output_held(*this)) return;
    session.take_output(out_);
    writing_ = true;
    transport_.async_write(net::buffer(out_.data(), out_.size()),
                           [self = ref()](beast::error_code ec, std::size_t) {
                             self->on_write(ec);
                           });
  }
  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) {
      broken_ = true;
      session.connection_lost(clock::now());
    }
    flush();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    deadlines_.cancel(*this);
    transport_.async_close([self = ref()](auto&&...) { self->transport_.abort(); });
  }

  // One deadline at a time: the session's (CONNECT, keep-alive) or, once closed, the grace
  // period. The queue keeps an earlier one it already has; a call before the deadline does
  // nothing (session::on_timeout) and queues the deadline again. A connection left with no
  // deadline (accepted with keep-alive 0) leaves the queue rather than hold its slot until its
  // CONNECT deadline passes.
  void queue_deadline() {
    if (closed_) return;
    const std::optional<time_point> due = closing_ ? std::optional(closing_deadline_)
                                                   : session.next_deadline();
    if (!due) return deadlines_.cancel(*this);
    // Checked first: most calls change nothing, and need no shared_ptr made for the queue.
    if (!queued_by(*due)) deadlines_.schedule(ref(), *due);
  }
  void on_deadline(time_point now) override {
    if (closing_ && now >= closing_deadline_) {
      broken_ = true;  // the peer does not take our last bytes: give up on them
      transport_.abort();
      return close();
    }
    session.on_timeout(now);
    flush();
  }

  Transport transport_;
  broker& broker_;
  deadline_queue& deadlines_;
  socket_slot slot_;
  std::string address_;
  std::vector<char> out_;  // the bytes of the write in flight
  bool reading_ = false;
  bool more_waiting_ = false;  // the last read filled its buffer
  bool writing_ = false;
  bool broken_ = false;   // the transport failed: nothing more is written
  bool closing_ = false;  // the session has closed
  bool closed_ = false;
  bool flush_posted_ = false;
  time_point closing_deadline_{};
  handler_memory<wait_room> wait_memory_;
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_CONNECTION_HPP
