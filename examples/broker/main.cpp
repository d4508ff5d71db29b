// SPDX-License-Identifier: MIT
// mqttwire-broker: an MQTT 3.1/3.1.1 broker on mqttwire, Boost.Asio and Boost.Beast. One thread,
// one io_context: the listeners make connections, connections feed the broker.
#include "broker.hpp"
#include "config.hpp"
#include "connection.hpp"
#include "deadlines.hpp"
#include "listener.hpp"
#include "persist.hpp"

#include <boost/asio.hpp>

#include <csignal>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

using namespace mqttwire_broker;

namespace {
// One write(2) per line, so lines from a broker and its test harness never interleave.
void log_line(const std::string& line) {
  const std::string out = line + "\n";
  static_cast<void>(::write(STDERR_FILENO, out.data(), out.size()));
}
}  // namespace

int main(int argc, char** argv) {
  config cfg = parse_args(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  socket_budget budget{0, raise_file_limit(cfg.max_sockets())};
  if (budget.max < cfg.max_sockets()) {
    log_line("warning: the open file limit allows only " + std::to_string(budget.max) + " sockets");
  }
  try {
    std::unique_ptr<store> durable;
    if (!cfg.persist.empty()) durable = std::make_unique<store>(cfg.persist, cfg.compact_bytes);
    broker core(cfg.limits, durable.get(), log_line);

    net::io_context io(1);
    deadline_queue deadlines(io);  // after io: it holds a timer, and connections, on it
    core.on_commit_needed([&] { net::post(io, [&] { core.commit(clock::now()); }); });
    const auto address = net::ip::make_address(cfg.bind);
    listener mqtt(io, {address, cfg.port}, port_kind::mqtt, core, deadlines, budget, {},
                  log_line);
    std::optional<listener> web;
    if (cfg.ws_port) {
      web.emplace(io, tcp::endpoint{address, *cfg.ws_port}, port_kind::http, core, deadlines,
                  budget, cfg.http_root, log_line);
    }
    log_line("listening mqtt=" + to_string(mqtt.local_endpoint()) +
             (web ? " ws=" + to_string(web->local_endpoint()) : "") +
             (durable ? " persist=" + durable->path() : ""));
    mqtt.start();
    if (web) web->start();

    // A clean stop: no new sockets, the last changes made durable, then out.
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code& ec, int signal) {
      if (ec) return;
      log_line(signal == SIGINT ? "stopping on SIGINT" : "stopping on SIGTERM");
      mqtt.stop();
      if (web) web->stop();
      core.shutdown(clock::now());
      io.stop();
    });
    io.run();
    const broker_stats& s = core.stats();
    log_line("stopped published=" + std::to_string(s.published) + " deliveries=" +
             std::to_string(s.deliveries) + " dropped=" + std::to_string(s.dropped) +
             " commits=" + std::to_string(s.commits));
  } catch (const std::exception& e) {
    log_line(std::string("fatal: ") + e.what());
    return 1;
  }
  return 0;
}
