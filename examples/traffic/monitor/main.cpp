// SPDX-License-Identifier: MIT
// traffic-monitor: the real-time analysis of the traffic system. Subscribes to the vehicles'
// positions and statuses and to the network, keeps per-segment average speeds over a sliding
// window, publishes retained congestion alerts (and clears them), and prints a live table, or
// one JSON line, every second.
#include "common/args.hpp"
#include "common/clock.hpp"
#include "common/link.hpp"
#include "common/loop.hpp"
#include "model/network.hpp"
#include "model/payloads.hpp"
#include "monitor/analysis.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <variant>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage = R"(usage: traffic-monitor [options]
  --host H            broker host (default 127.0.0.1)
  --port P            broker TCP port (default 1883)
  --qos Q             QoS of the position subscription (default 1)
  --window S          sliding window of the average speeds, seconds (default 10)
  --threshold M/S     an average below it raises a congestion alert (default 4)
  --clear-above M/S   an average at or above it clears the alert (default 6)
  --min-samples N     samples a window needs to decide (default 3)
  --duration S        stop after S seconds (default 0: until Ctrl-C)
  --client-id ID      MQTT client id (default traffic-monitor)
  --json              one JSON line per second instead of the table
  --plain             print the table without clearing the screen
  --no-alerts         analyse only, publish no alerts
  --note TEXT         a line to show under the table's title
With --json, a last line {"final":true,...} has the totals and the ids of every vehicle seen.
)";

std::string clock_text() {
  const std::time_t t = std::time(nullptr);
  char b[16];
  std::strftime(b, sizeof b, "%H:%M:%S", std::localtime(&t));
  return b;
}

int run(const traffic::args& a) {
  const std::string host = a.str("host", "127.0.0.1");
  const auto port = static_cast<std::uint16_t>(a.count("port", 1883));
  const auto qos = a.count("qos", 1);
  if (qos > 2) throw std::invalid_argument("--qos must be 0, 1 or 2");
  const bool json = a.flag("json");
  const bool clear_screen = !json && !a.flag("plain") && ::isatty(STDOUT_FILENO) != 0;
  const bool alerts = !a.flag("no-alerts");
  const double duration = a.num("duration", 0);
  const std::string note = a.str("note", "");

  traffic::congestion_options co;
  co.window_ms = static_cast<std::int64_t>(a.num("window", 10) * 1000);
  co.threshold = a.num("threshold", 4.0);
  co.clear_above = a.num("clear-above", 6.0);
  co.min_samples = a.count("min-samples", 3);
  traffic::analysis an(co);

  const traffic::endpoint broker = traffic::resolve(host, port);
  traffic::poller poller;
  traffic::link_config lc;
  lc.client_id = a.str("client-id", "traffic-monitor");
  lc.clean_session = false;  // messages for us wait in the broker while we reconnect
  lc.keep_alive = 30;
  lc.session.max_packet_size = 16u << 20;  // a big network's GeoJSON
  lc.session.max_queued = 10'000;
  traffic::mqtt_link link(lc, 0, 1);
  const std::string pos_filter(traffic::topics::positions);
  const std::string status_filter(traffic::topics::statuses);
  const std::string net_filter(traffic::topics::network);
  const std::string alert_filter(traffic::topics::alerts);
  const mqttwire::subscription subs[] = {
      {pos_filter, static_cast<mqttwire::qos_level>(qos)},
      {status_filter, mqttwire::qos_level::at_least_once},
      {net_filter, mqttwire::qos_level::at_least_once},
      {alert_filter, mqttwire::qos_level::at_least_once}};
  std::uint64_t connects = 0;
  bool subscribed = false;

  const auto on_event = [&](const mqttwire::client_event& e) {
    const mqttwire::time_point now = traffic::mono_now();
    if (const auto* c = std::get_if<mqttwire::events::connected>(&e)) {
      ++connects;
      // a broker without our session (first time, or it lost it): subscribe (again)
      if (!c->session_present) static_cast<void>(link.session().subscribe(subs, now));
    } else if (std::holds_alternative<mqttwire::events::subscribed>(e)) {
      if (!subscribed) std::fprintf(stderr, "traffic-monitor: subscribed\n");
      subscribed = true;
    } else if (const auto* m = std::get_if<mqttwire::events::message>(&e)) {
      const std::string_view topic = m->msg.topic;
      const std::string_view payload = m->msg.payload;
      if (topic == traffic::topics::network) {
        try {
          an.on_network(traffic::from_geojson(nlohmann::json::parse(payload)));
        } catch (const std::exception& x) {
          std::fprintf(stderr, "traffic-monitor: bad traffic/network: %s\n", x.what());
        }
      } else if (topic.substr(0, traffic::topics::alert_prefix.size()) ==
                 traffic::topics::alert_prefix) {
        // a retained alert left by an earlier monitor that we do not confirm: clear it
        const std::string seg(topic.substr(traffic::topics::alert_prefix.size()));
        if (alerts && m->msg.retain && !payload.empty() && !an.detector().congested(seg)) {
          const std::string t(topic);
          static_cast<void>(link.session().publish(
              {.qos = mqttwire::qos_level::at_least_once, .retain = true, .topic = t, .payload = ""},
              now));
        }
      } else if (const std::string_view v = traffic::topics::vehicle_of(topic); !v.empty()) {
        if (topic.ends_with("/status")) {
          an.on_status(v, payload);
        } else if (topic.ends_with("/position")) {
          if (const auto p = traffic::parse_position(payload)) an.on_position(*p, traffic::wall_ms());
        }
      }
    } else if (const auto* x = std::get_if<mqttwire::events::closed>(&e)) {
      if (x->reason.code != mqttwire::errc::success) {
        std::fprintf(stderr, "traffic-monitor: connection ended (%s), reconnecting\n",
                     std::string(mqttwire::to_string(x->reason.code)).c_str());
      }
    }
  };

  const mqttwire::time_point start = traffic::mono_now();
  link.start(poller, broker, start);
  std::vector<epoll_event> ready;
  mqttwire::time_point next_tick = start + std::chrono::seconds(1);
  traffic::monitor_snapshot snap;
  const std::string title_base =
      "traffic-monitor  " + host + ":" + std::to_string(port) + "  ";
  while (g_stop == 0) {
    mqttwire::time_point now = traffic::mono_now();
    if (duration > 0 && std::chrono::duration<double>(now - start).count() >= duration) break;
    mqttwire::time_point wake = next_tick;
    if (const auto d = link.deadline(); d && *d < wake) wake = *d;
    poller.wait(ready, traffic::ms_until(wake, now, 200));
    now = traffic::mono_now();
    for (const epoll_event& ev : ready) link.on_io(poller, ev.events, now, on_event);
    if (const auto d = link.deadline(); d && *d <= now) link.on_timer(poller, now, on_event);
    if (now >= next_tick) {
      next_tick += std::chrono::seconds(1);
      if (next_tick < now) next_tick = now + std::chrono::seconds(1);
      const std::int64_t wall = traffic::wall_ms();
      for (const traffic::alert_change& c : an.tick(wall, snap)) {
        if (!alerts) continue;
        const std::string topic = traffic::topics::alert(c.segment);
        const std::string payload =
            c.active ? traffic::to_json(traffic::congestion_alert{c.segment, c.avg_speed,
                                                                  co.threshold, c.since})
                     : std::string();
        static_cast<void>(link.session().publish({.qos = mqttwire::qos_level::at_least_once,
                                                  .retain = true,
                                                  .topic = topic,
                                                  .payload = payload},
                                                 now));
        std::fprintf(stderr, "traffic-monitor: congestion %s on %s (%.1f m/s)\n",
                     c.active ? "alert" : "cleared", c.segment.c_str(), c.avg_speed);
      }
      link.pump(poller, now, on_event);
      if (json) {
        nlohmann::json j = an.to_json(snap);
        j["connected"] = link.connected();
        j["connects"] = connects;
        std::printf("%s\n", j.dump().c_str());
      } else {
        const double up = std::chrono::duration<double>(now - start).count();
        std::string title = title_base + clock_text() + "  up " +
                            std::to_string(static_cast<int>(up)) + " s" +
                            (link.connected() ? "" : "  (reconnecting)");
        if (!note.empty()) title += "\n" + note;
        if (clear_screen) std::fputs("\033[H\033[2J", stdout);
        std::fputs(an.table(snap, title).c_str(), stdout);
        if (!clear_screen) std::fputs("\n", stdout);
      }
      std::fflush(stdout);
    }
  }
  static_cast<void>(an.tick(traffic::wall_ms(), snap));  // the totals up to now
  link.stop(poller, traffic::mono_now(), on_event);
  if (!json) return 0;
  nlohmann::json final_line = an.to_json(snap);
  final_line["final"] = true;
  final_line["connects"] = connects;
  final_line["vehicles"] = an.seen_ids();
  std::printf("%s\n", final_line.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const traffic::args a(argc, argv,
                          {"host", "port", "qos", "window", "threshold", "clear-above",
                           "min-samples", "duration", "client-id", "note"},
                          {"json", "plain", "no-alerts", "help"});
    if (a.flag("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "traffic-monitor: %s\n%s", e.what(), kUsage);
    return 2;
  }
}
