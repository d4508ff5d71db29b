// SPDX-License-Identifier: MIT
// traffic-generator: simulated vehicles publishing their positions over MQTT, each on its own
// connection, all on one event loop. Movement comes from the built-in simulation (a grid with
// car following and a scripted jam) or from a SUMO floating-car-data file.
#include "common/args.hpp"
#include "common/clock.hpp"
#include "generator/fleet.hpp"
#include "model/network.hpp"
#include "model/payloads.hpp"
#include "model/sim.hpp"
#include "model/sumo.hpp"

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage = R"(usage: traffic-generator [options]
  --host H            broker host (default 127.0.0.1)
  --port P            broker TCP port (default 1883)
  --vehicles N        fleet size (default 50; with --sumo-fcd: at most N of the file's vehicles)
  --qos Q             QoS of the position reports, 0, 1 or 2 (default 1)
  --rate HZ           reports per vehicle per second (default 1; built-in simulation)
  --duration S        stop after S seconds (default 0: until Ctrl-C, or the end of the FCD file)
  --seed N            simulation seed (default 1)
  --grid K            K x K intersections (default: sized for the fleet)
  --jam-at S          the scripted incident starts S seconds in (default 20)
  --jam-for S         and lasts S seconds (default 30); --no-jam for free flow
  --sumo-fcd FILE     replay `sumo --fcd-output` FILE instead of simulating
  --sumo-net FILE     the SUMO net file of that run (required with --sumo-fcd)
  --speedup X         replay X times faster than real time (default 1)
  --keep-alive S      MQTT keep-alive (default 30)
  --connect-rate N    new connections per second (default 2000)
  --client-prefix S   MQTT client ids are S + vehicle id (default "traffic-")
  --json              one JSON status line per second on stdout (default: a line every 5 s)
A JSON summary line ({"summary":true,...}) is printed on stdout at the end.
)";

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The built-in simulation: steps of 0.2 s; vehicle i reports at i / (N * rate) + k / rate.
class builtin_source {
 public:
  builtin_source(traffic::fleet& f, const traffic::road_network& net, std::size_t n, double rate,
                 traffic::sim_options o)
      : fleet_(f), sim_(net, n, o), rate_(rate) {
    for (std::size_t i = 0; i < n; ++i) {
      index_.push_back(fleet_.add_vehicle(traffic::topics::join("v", std::to_string(i + 1))));
      next_report_.push_back(static_cast<double>(i) / (static_cast<double>(n) * rate_));
    }
  }
  const traffic::simulation& sim() const { return sim_; }
  // Runs the simulation up to `elapsed` seconds and publishes the reports due.
  void advance(double elapsed, mqttwire::time_point now) {
    while (sim_.time() + kStep <= elapsed + 1e-9) sim_.step(kStep);
    for (std::size_t i = 0; i < index_.size(); ++i) {
      if (next_report_[i] > elapsed) continue;
      next_report_[i] += 1.0 / rate_;
      if (next_report_[i] <= elapsed) next_report_[i] = elapsed + 1.0 / rate_;  // late: skip
      if (!fleet_.started(index_[i])) continue;  // not connected yet: nothing to report to
      const traffic::sim_vehicle& v = sim_.vehicles()[i];
      const auto [pt, heading] = sim_.where(i);
      fleet_.report(index_[i],
                    {.x = pt.x, .y = pt.y, .heading = heading, .speed = v.v,
                     .segment = sim_.network()[v.seg].id},
                    now);
    }
  }
  bool finished() const { return false; }

 private:
  static constexpr double kStep = 0.2;
  traffic::fleet& fleet_;
  traffic::simulation sim_;
  double rate_;
  std::vector<std::size_t> index_;
  std::vector<double> next_report_;
};

// SUMO replay: one timestep of the FCD file read ahead; a vehicle's connection starts when it
// first appears, and it departs (offline, DISCONNECT) when a timestep no longer has it.
class sumo_source {
 public:
  sumo_source(traffic::fleet& f, const std::string& fcd, std::size_t max_vehicles,
              double speedup)
      : fleet_(f), in_(fcd), reader_(in_), max_(max_vehicles), speedup_(speedup) {
    if (!in_) throw std::runtime_error("cannot open " + fcd);
    pending_ = reader_.next();
    if (pending_) first_time_ = pending_->time;
  }
  void advance(double elapsed, mqttwire::time_point now) {
    const double t = first_time_ + elapsed * speedup_;
    while (pending_ && pending_->time <= t + 1e-9) {
      play(*pending_, now);
      pending_ = reader_.next();
    }
    if (!pending_ && !ended_) {  // the file is over: everybody leaves
      ended_ = true;
      for (auto& [id, v] : vehicles_) {
        if (!v.departed) fleet_.depart(v.index, now);
        v.departed = true;
      }
    }
  }
  bool finished() const { return ended_; }
  std::size_t seen() const { return vehicles_.size(); }

 private:
  struct vehicle {
    std::size_t index = 0;
    std::string segment;  // the last normal edge (internal ones are inside junctions)
    std::uint64_t step = 0;
    bool departed = false;
  };
  void play(const traffic::sumo::fcd_step& s, mqttwire::time_point now) {
    ++step_;
    for (const traffic::sumo::fcd_vehicle& fv : s.vehicles) {
      auto it = vehicles_.find(fv.id);
      if (it == vehicles_.end()) {
        if (max_ != 0 && vehicles_.size() >= max_) continue;
        it = vehicles_.emplace(fv.id, vehicle{fleet_.add_vehicle(fv.id), {}, 0, false}).first;
      }
      vehicle& v = it->second;
      if (v.departed) continue;  // SUMO does not reuse ids; ignore a vehicle that came back
      v.step = step_;
      if (!traffic::sumo::is_internal(fv.edge) || v.segment.empty()) v.segment = fv.edge;
      // before its first CONNACK a vehicle's QoS 1/2 reports wait in its session
      fleet_.report(v.index,
                    {.x = fv.x, .y = fv.y, .heading = fv.angle, .speed = fv.speed,
                     .segment = v.segment},
                    now);
    }
    for (auto& [id, v] : vehicles_) {
      if (!v.departed && v.step != step_) {
        fleet_.depart(v.index, now);
        v.departed = true;
      }
    }
  }
  traffic::fleet& fleet_;
  std::ifstream in_;
  traffic::sumo::fcd_reader reader_;
  std::size_t max_;
  double speedup_;
  std::optional<traffic::sumo::fcd_step> pending_;
  double first_time_ = 0;
  std::uint64_t step_ = 0;
  bool ended_ = false;
  std::map<std::string, vehicle> vehicles_;
};

int run(const traffic::args& a) {
  const std::string host = a.str("host", "127.0.0.1");
  const auto port = static_cast<std::uint16_t>(a.count("port", 1883));
  const bool sumo = a.has("sumo-fcd");
  const std::size_t n = a.count("vehicles", sumo ? 0 : 50);
  const auto qos = a.count("qos", 1);
  if (qos > 2) throw std::invalid_argument("--qos must be 0, 1 or 2");
  const double rate = a.num("rate", 1.0);
  if (rate <= 0) throw std::invalid_argument("--rate must be positive");
  const double duration = a.num("duration", 0);
  const bool json = a.flag("json");

  traffic::raise_open_files(static_cast<rlim_t>((sumo ? 20'000 : n) + 1'024));
  traffic::fleet_options fo;
  fo.broker = traffic::resolve(host, port);
  fo.qos = static_cast<mqttwire::qos_level>(qos);
  fo.keep_alive = static_cast<std::uint16_t>(a.count("keep-alive", 30));
  fo.client_prefix = a.str("client-prefix", "traffic-");
  fo.connect_rate = a.num("connect-rate", 2'000);
  fo.seed = a.count("seed", 1);
  traffic::fleet fleet(fo);

  traffic::road_network net;
  std::unique_ptr<builtin_source> builtin;
  std::unique_ptr<sumo_source> replay;
  if (sumo) {
    if (!a.has("sumo-net")) throw std::invalid_argument("--sumo-fcd needs --sumo-net");
    std::ifstream in(a.str("sumo-net", ""));
    if (!in) throw std::runtime_error("cannot open " + a.str("sumo-net", ""));
    net = traffic::sumo::read_net(in);
    replay = std::make_unique<sumo_source>(fleet, a.str("sumo-fcd", ""), n,
                                           a.num("speedup", 1.0));
  } else {
    const std::size_t k = a.has("grid") ? a.count("grid", 3) : traffic::grid_size_for(n);
    net = traffic::make_grid(k, k);
    traffic::sim_options so;
    so.seed = fo.seed;
    if (!a.flag("no-jam")) {
      const double at = a.num("jam-at", 20), len = a.num("jam-for", 30);
      so.jam = traffic::incident{traffic::default_jam_segment(net), at, at + len, 1.5};
    }
    builtin = std::make_unique<builtin_source>(fleet, net, n, rate, so);
    if (so.jam) {
      std::fprintf(stderr, "traffic-generator: incident on %s from %.0f s to %.0f s\n",
                   net[so.jam->segment].id.c_str(), so.jam->start, so.jam->end);
    }
  }
  std::fprintf(stderr, "traffic-generator: %zu segments, %s vehicles, QoS %u, broker %s:%u\n",
               net.size(), sumo ? "replayed" : std::to_string(n).c_str(),
               static_cast<unsigned>(qos), host.c_str(), static_cast<unsigned>(port));

  const mqttwire::time_point start = traffic::mono_now();
  fleet.set_network(traffic::to_geojson(net).dump(), start);
  // The source runs from the moment the whole fleet has connected once (or 10 s at most), so
  // a monitor sees complete data from the first report.
  std::optional<mqttwire::time_point> running_since;
  mqttwire::time_point next_status = start + std::chrono::seconds(1);
  std::uint64_t last_positions = 0;
  int status_count = 0;
  const auto elapsed = [](mqttwire::time_point a0, mqttwire::time_point b) {
    return std::chrono::duration<double>(b - a0).count();
  };
  for (;;) {
    mqttwire::time_point now = traffic::mono_now();
    if (g_stop != 0) break;
    if (!running_since) {
      std::size_t started = 0;
      for (std::size_t v = 1; v <= fleet.vehicles(); ++v) started += fleet.started(v) ? std::size_t{1} : std::size_t{0};
      if ((sumo || started == fleet.vehicles()) || elapsed(start, now) > 10.0) {
        running_since = now;
        std::fprintf(stderr, "traffic-generator: %zu of %zu vehicles connected in %.2f s\n",
                     started, fleet.vehicles(), elapsed(start, now));
      }
    }
    if (running_since) {
      const double t = elapsed(*running_since, now);
      if (duration > 0 && t >= duration) break;
      if (builtin) builtin->advance(t, now);
      if (replay) {
        replay->advance(t, now);
        if (replay->finished() && fleet.unacknowledged() == 0) break;
      }
    }
    if (now >= next_status) {
      next_status += std::chrono::seconds(1);
      const traffic::fleet_stats& st = fleet.stats();
      ++status_count;
      if (json || status_count % 5 == 0) {
        nlohmann::json line = {{"t", traffic::wall_ms()},
                               {"vehicles", fleet.vehicles()},
                               {"connected", fleet.connected_count()},
                               {"positions", st.positions},
                               {"positions_per_s", st.positions - last_positions},
                               {"delivered", st.delivered},
                               {"connects", st.connects},
                               {"dropped", st.dropped}};
        if (builtin) line["jam"] = builtin->sim().jam_active();
        if (json) {
          std::printf("%s\n", line.dump().c_str());
        } else {
          std::printf("%zu/%zu connected, %llu reports/s, %llu sent, %llu acknowledged\n",
                      fleet.connected_count(), fleet.vehicles(),
                      static_cast<unsigned long long>(st.positions - last_positions),
                      static_cast<unsigned long long>(st.positions),
                      static_cast<unsigned long long>(st.delivered));
        }
        std::fflush(stdout);
      }
      last_positions = st.positions;
    }
    mqttwire::time_point until = std::min(next_status, now + std::chrono::milliseconds(50));
    fleet.run_until(until);
  }
  // CPU time of the whole process up to here (connecting and reporting), and its wall time
  const double run_cpu = cpu_seconds();
  const double run_wall = elapsed(start, traffic::mono_now());
  const double reporting = running_since ? elapsed(*running_since, traffic::mono_now()) : 0.0;
  // Leave: offline statuses, everything acknowledged (5 s at most), then DISCONNECT.
  mqttwire::time_point now = traffic::mono_now();
  fleet.depart_all(now);
  const mqttwire::time_point give_up = now + std::chrono::seconds(5);
  while (fleet.unacknowledged() != 0 && traffic::mono_now() < give_up) {
    fleet.run_until(traffic::mono_now() + std::chrono::milliseconds(50));
  }
  const std::size_t unacked = fleet.unacknowledged();
  fleet.stop_all(traffic::mono_now());
  const traffic::fleet_stats& s = fleet.stats();
  nlohmann::json summary = {{"summary", true},
                            {"vehicles", fleet.vehicles()},
                            {"qos", qos},
                            {"positions", s.positions},
                            {"dropped", s.dropped},
                            {"published_acked", s.published_acked},
                            {"delivered", s.delivered},
                            {"unacknowledged", unacked},
                            {"connects", s.connects},
                            {"resumed", s.resumed},
                            {"reconnects", s.connects > fleet.vehicles() + 1 ? s.connects - fleet.vehicles() - 1 : 0},
                            {"closes", s.closes},
                            {"cpu_s", traffic::rounded(run_cpu, 3)},
                            {"wall_s", traffic::rounded(run_wall, 3)},
                            {"reporting_s", traffic::rounded(reporting, 3)}};
  if (replay) summary["sumo_vehicles"] = replay->seen();
  std::printf("%s\n", summary.dump().c_str());
  std::fflush(stdout);
  return unacked == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const traffic::args a(argc, argv,
                          {"host", "port", "vehicles", "qos", "rate", "duration", "seed", "grid",
                           "jam-at", "jam-for", "sumo-fcd", "sumo-net", "speedup", "keep-alive",
                           "connect-rate", "client-prefix"},
                          {"json", "no-jam", "help"});
    if (a.flag("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "traffic-generator: %s\n%s", e.what(), kUsage);
    return 2;
  }
}
