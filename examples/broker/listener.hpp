// SPDX-License-Identifier: MIT
// mqttwire-broker: the listening sockets: MQTT over TCP on one port; on another, HTTP that
// serves static files and upgrades to MQTT over WebSockets (one origin for a page and its MQTT).
#ifndef MQTTWIRE_EXAMPLES_BROKER_LISTENER_HPP
#define MQTTWIRE_EXAMPLES_BROKER_LISTENER_HPP

#include "broker.hpp"
#include "connection.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace mqttwire_broker {

namespace http = beast::http;

// Beast 1.74 has its own string_view.
inline std::string_view std_view(beast::string_view s) noexcept { return {s.data(), s.size()}; }

// ---------------------------------------------------------------- HTTP helpers

/// The subprotocol to answer a WebSocket upgrade with, from its Sec-WebSocket-Protocol list:
/// "mqtt" ([MQTT-6.0.0-3], -4), else "mqttv3.1" (what 3.1 clients offer, accepted as mosquitto
/// and MQTT.js do), "" when the client offers none; nullopt when it offers only others.
inline std::optional<std::string> choose_subprotocol(std::string_view offered) {
  bool mqtt = false, v31 = false, any = false;
  while (!offered.empty()) {
    const std::size_t comma = offered.find(',');
    std::string_view token = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.empty()) continue;
    any = true;
    mqtt = mqtt || token == "mqtt";
    v31 = v31 || token == "mqttv3.1";
  }
  if (mqtt) return "mqtt";
  if (v31) return "mqttv3.1";
  if (!any) return "";
  return std::nullopt;
}

/// The file under `root` that a request target names, or nullopt when it names none that may
/// be served: the target is percent-decoded, and a ".." segment, a NUL, or a path that leaves
/// the root after symlinks are resolved is refused. A directory means its index.html.
inline std::optional<std::filesystem::path> resolve_target(const std::filesystem::path& root,
                                                           std::string_view target) {
  namespace fs = std::filesystem;
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string decoded;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') {
      decoded.push_back(target[i]);
      continue;
    }
    if (i + 2 >= target.size()) return std::nullopt;
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(target[i + 1]), lo = hex(target[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    decoded.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  fs::path p = root;
  std::string_view rest = decoded;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == ".." || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    p /= std::string(segment);
  }
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return std::nullopt;
  if (std::mismatch(base.begin(), base.end(), real.begin(), real.end()).first != base.end()) {
    return std::nullopt;  // a symlink out of the root
  }
  if (fs::is_directory(real, ec)) real /= "index.html";
  return real;
}

inline const char* content_type(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// ---------------------------------------------------------------- HTTP sessions

/// One socket on the HTTP port: requests for static files (GET and HEAD, kept alive), until one
/// asks for a WebSocket upgrade, which hands the socket to an MQTT connection.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket s, broker& b, deadline_queue& deadlines, socket_slot slot,
               const std::filesystem::path& root, const broker::log_sink& log)
      : stream_(std::move(s)), broker_(b), deadlines_(deadlines), slot_(std::move(slot)),
        root_(root), log_(log) {
    address_ = mqttwire_broker::to_string(stream_.socket().remote_endpoint(ec_));
  }
  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }
  void on_read(beast::error_code ec) {
    if (ec) return close();
    request_ = parser_->release();
    if (websocket::is_upgrade(request_)) return upgrade();
    respond();
  }

  void upgrade() {
    const auto protocol = choose_subprotocol(std_view(request_[http::field::sec_websocket_protocol]));
    if (!protocol) {
      log("http upgrade refused: no mqtt subprotocol offered from=" + address_);
      return send(error_response(http::status::bad_request, "no MQTT WebSocket subprotocol\n"));
    }
    stream_.expires_never();
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(stream_));
    ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                   websocket::stream_base::none(), false});
    const auto decorate = [chosen = *protocol](websocket::response_type& r) {
      if (!chosen.empty()) r.set(http::field::sec_websocket_protocol, chosen);
      r.set(http::field::server, "mqttwire-broker");
    };
    ws->set_option(websocket::stream_base::decorator(decorate));
    const std::string via = " via=ws" + (protocol->empty() ? "" : ":" + *protocol);
    ws->async_accept(request_, [self = shared_from_this(), ws, via](beast::error_code ec) {
      if (ec) return;
      boost::intrusive_ptr(new connection<ws_transport>(ws_transport(std::move(*ws), via),
                                                        self->broker_, self->deadlines_,
                                                        std::move(self->slot_)))
          ->start();
    });
  }

  void respond() {
    const http::verb method = request_.method();
    if (method != http::verb::get && method != http::verb::head) {
      auto r = error_response(http::status::method_not_allowed, "GET and HEAD only\n");
      r.set(http::field::allow, "GET, HEAD");
      return send(std::move(r));
    }
    const auto path = root_.empty() ? std::nullopt : resolve_target(root_, std_view(request_.target()));
    http::file_body::value_type body;
    beast::error_code ec;
    if (path) body.open(path->c_str(), beast::file_mode::scan, ec);
    if (!path || ec) {
      log_request(404);
      return send(error_response(http::status::not_found, "not found\n"));
    }
    log_request(200);
    const std::uint64_t size = body.size();
    if (method == http::verb::head) {
      http::response<http::empty_body> r{http::status::ok, request_.version()};
      r.set(http::field::content_type, content_type(*path));
      r.content_length(size);
      r.keep_alive(request_.keep_alive());
      return send(std::move(r));
    }
    http::response<http::file_body> r{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, request_.version())};
    r.set(http::field::content_type, content_type(*path));
    r.content_length(size);
    r.keep_alive(request_.keep_alive());
    send(std::move(r));
  }

  http::response<http::string_body> error_response(http::status s, std::string_view text) {
    http::response<http::string_body> r{s, request_.version()};
    r.set(http::field::content_type, "text/plain; charset=utf-8");
    r.body() = std::string(text);
    r.keep_alive(request_.keep_alive());
    r.prepare_payload();
    return r;
  }

  template <class Body>
  void send(http::response<Body>&& response) {
    auto r = std::make_shared<http::response<Body>>(std::move(response));
    http::async_write(stream_, *r, [self = shared_from_this(), r](beast::error_code ec, std::size_t) {
      if (ec || r->need_eof()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void log_request(int status) {
    log("http " + std::string(request_.method_string()) + " " + std::string(request_.target()) +
        " " + std::to_string(status) + " from=" + address_);
  }
  void log(const std::string& line) const {
    if (log_) log_(line);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  broker& broker_;
  deadline_queue& deadlines_;
  socket_slot slot_;
  std::filesystem::path root_;
  broker::log_sink log_;
  std::string address_;
  beast::error_code ec_;
};

// ---------------------------------------------------------------- listening sockets

/// What a listener's port speaks.
enum class port_kind { mqtt, http };

/// Accepts sockets on one port until stop(): each becomes a connection (MQTT) or an
/// http_session. Past the socket budget a new socket is closed at once; when accept itself
/// fails (out of file descriptors) it waits a little and tries again.
class listener {
 public:
  listener(net::io_context& io, const tcp::endpoint& at, port_kind kind, broker& b,
           deadline_queue& deadlines, socket_budget& budget, std::filesystem::path http_root,
           broker::log_sink log)
      : acceptor_(io), retry_(io), kind_(kind), broker_(b), deadlines_(deadlines),
        budget_(budget), root_(std::move(http_root)), log_(std::move(log)) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  /// The address bound (with the port the OS chose for port 0).
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start() { accept(); }
  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp_socket s) { on_accept(ec, std::move(s)); });
  }
  void on_accept(beast::error_code ec, tcp_socket s) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      if (log_) log_("accept failed: " + ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    if (budget_.open >= budget_.max) {
      if (log_) {
        beast::error_code e;
        log_("refused from=" + mqttwire_broker::to_string(s.remote_endpoint(e)) +
             " reason=max_sockets");
      }
      beast::error_code e;
      s.close(e);
    } else if (kind_ == port_kind::mqtt) {
      boost::intrusive_ptr(new connection<tcp_transport>(tcp_transport(std::move(s)), broker_,
                                                         deadlines_, socket_slot(budget_)))
          ->start();
    } else {
      // HTTP and WebSocket streams are Beast's, on the type-erased executor.
      std::make_shared<http_session>(tcp::socket(std::move(s)), broker_, deadlines_,
                                     socket_slot(budget_), root_, log_)
          ->start();
    }
    accept();
  }

  tcp_acceptor acceptor_;
  net::steady_timer retry_;
  port_kind kind_;
  broker& broker_;
  deadline_queue& deadlines_;
  socket_budget& budget_;
  std::filesystem::path root_;
  broker::log_sink log_;
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_LISTENER_HPP
