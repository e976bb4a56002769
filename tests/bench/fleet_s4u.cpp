// What grows with the fleet, shown on a bare SimGrid program: a client population sends
// requests through one balancer to N servers (16 workers each, 10 ms of CPU on average)
// at 250 requests/s per server; every message is a detached, eager transfer of 512 bytes,
// as archsim sends them. Only SimGrid is involved, so the cost per request it prints is
// SimGrid's own.
//
//   links  the path latency is on the links (SimGrid's usual way). Each detached transfer
//          stays in one engine-wide list for its whole life, and SimGrid 3.32 takes it out
//          with a scan of that list (std::list::remove in CommImpl), so a transfer costs
//          time proportional to every transfer in flight anywhere: rate x (latency +
//          transfer time), which grows with the fleet.
//   wire   links have no latency; the program holds each message back for its path's
//          latency (one kernel timer per distinct latency, FIFO queues) and only then
//          starts the transfer, which lives for its transfer time alone. What archsim does
//          (src/engine/wire.hpp). Same latencies, flat cost.
//
// And how a server runs its workers:
//   threads     one actor per worker, blocked in its execution (what archsim does);
//   dispatcher  one actor per server: it starts each request's execution asynchronously,
//               up to WORKERS at once, queues the rest FIFO, and awaits the arrivals and
//               the executions together. The same model (same draws, same latencies) with
//               one actor per server instead of WORKERS: what is left of the growth is not
//               the cost of switching among many actors.
//
// usage: fleet_s4u SERVERS SECONDS links|wire [WORKERS] [threads|dispatcher]
//        (16 workers per server, as threads, by default)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include "bench_s4u.hpp"

namespace sg4 = simgrid::s4u;

namespace {

constexpr double kNicLatency = 0.000125;  // a quarter of a 0.5 ms datacenter round trip
constexpr double kAccessLatency = 0.010 - kNicLatency;  // 20 ms client round trip
constexpr double kBytes = 512;
int g_workers = 16;

struct Msg {
  double sent_at;
};

bool g_wire = false;
bool g_dispatch = false;  // one actor per server, its workers as slots of it
using bench::expo;
using bench::kFlops;

std::map<const sg4::Host*, double> g_edge;  // one-way latency from a host to the switch

// Messages held back for their path's latency, one FIFO per distinct latency.
struct Wire {
  struct Held {
    double due;
    sg4::CommPtr comm;
  };
  std::map<double, std::deque<Held>> queues;

  void arm(std::deque<Held>& queue) {
    simgrid::kernel::timer::Timer::set(queue.front().due, [this, &queue] {
      const double now = sg4::Engine::get_clock();
      while (!queue.empty() && queue.front().due <= now) {
        queue.front().comm->detach();
        queue.pop_front();
      }
      if (!queue.empty()) arm(queue);
    });
  }
  void hold(double latency, sg4::CommPtr comm) {
    auto& queue = queues[latency];
    queue.push_back({sg4::Engine::get_clock() + latency, std::move(comm)});
    if (queue.size() == 1) arm(queue);
  }
} g_held;

void send(sg4::Mailbox* to, const sg4::Host* destination, Msg* m) {
  auto comm = to->put_init(m, static_cast<uint64_t>(kBytes));
  if (g_wire)
    g_held.hold(g_edge[sg4::this_actor::get_host()] + g_edge[destination], std::move(comm));
  else
    comm->detach();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || (std::strcmp(argv[3], "links") != 0 && std::strcmp(argv[3], "wire") != 0) ||
      (argc > 5 && std::strcmp(argv[5], "threads") != 0 && std::strcmp(argv[5], "dispatcher") != 0)) {
    std::fprintf(stderr, "usage: fleet_s4u SERVERS SECONDS links|wire [WORKERS] [threads|dispatcher]\n");
    return 2;
  }
  const int servers = std::atoi(argv[1]);
  const double seconds = std::atof(argv[2]);
  g_wire = std::strcmp(argv[3], "wire") == 0;
  if (argc > 4) g_workers = std::atoi(argv[4]);
  g_dispatch = argc > 5 && std::strcmp(argv[5], "dispatcher") == 0;
  auto engine = bench::make_engine(argv[0]);
  auto* zone = sg4::create_star_zone("datacenter");
  auto host = [&](const std::string& name, int cores, double latency, double bw) {
    auto* h = bench::add_host(zone, name, cores, g_wire ? 0 : latency, bw);
    g_edge[h] = latency;
    return h;
  };
  auto* client = host("client", 1, kAccessLatency, 12.5e9);
  auto* lb = host("lb", 16, kNicLatency, 12.5e9);
  std::vector<sg4::Host*> hosts;
  for (int i = 0; i < servers; ++i) hosts.push_back(host("web-" + std::to_string(i), 4, kNicLatency, 125e6));
  zone->seal();

  static sg4::Mailbox* client_box = sg4::Mailbox::by_name("client");
  static sg4::Mailbox* lb_box = sg4::Mailbox::by_name("lb");
  static sg4::Mailbox* lb_replies = sg4::Mailbox::by_name("lb-replies");
  static std::vector<sg4::Mailbox*> boxes;
  for (int i = 0; i < servers; ++i) boxes.push_back(sg4::Mailbox::by_name("web-" + std::to_string(i)));
  static long done = 0;
  static double latency_sum = 0;

  for (int i = 0; i < servers; ++i) {
    if (g_dispatch) {
      sg4::Actor::create("dispatcher", hosts[static_cast<std::size_t>(i)], [i, lb] {
        auto* box = boxes[static_cast<std::size_t>(i)];
        box->set_receiver(sg4::Actor::self());
        std::vector<sg4::ActivityPtr> running;  // [0]: the receive of the next request
        std::vector<Msg*> served;               // served[k]: the request of running[k]
        std::deque<Msg*> waiting;
        Msg* arrived = nullptr;
        running.push_back(box->get_async<Msg>(&arrived));
        served.push_back(nullptr);
        auto serve = [&](Msg* m) {
          running.push_back(sg4::this_actor::exec_async(expo(0.010) * kFlops));
          served.push_back(m);
        };
        for (;;) {
          const auto k = static_cast<std::size_t>(sg4::Activity::wait_any(running));
          if (k == 0) {
            if (static_cast<int>(running.size()) - 1 < g_workers)
              serve(arrived);
            else
              waiting.push_back(arrived);
            running[0] = box->get_async<Msg>(&arrived);
            continue;
          }
          send(lb_replies, lb, served[k]);
          running[k] = running.back();
          served[k] = served.back();
          running.pop_back();
          served.pop_back();
          if (!waiting.empty()) {
            serve(waiting.front());
            waiting.pop_front();
          }
        }
      })->daemonize();
      continue;
    }
    for (int w = 0; w < g_workers; ++w)
      sg4::Actor::create("worker", hosts[static_cast<std::size_t>(i)], [i, lb] {
        for (;;) {
          auto* m = boxes[static_cast<std::size_t>(i)]->get<Msg>();
          sg4::this_actor::execute(expo(0.010) * kFlops);
          send(lb_replies, lb, m);
        }
      })->daemonize();
  }
  // Requests and replies come to the balancer on separate mailboxes: a mailbox hands out
  // transfers in the order they started, and a reply must not wait behind a request still
  // crossing the client's access link.
  sg4::Actor::create("balancer", lb, [servers, hosts] {
    lb_box->set_receiver(sg4::Actor::self());
    int next = 0;
    for (;;) {
      auto* m = lb_box->get<Msg>();
      send(boxes[static_cast<std::size_t>(next)], hosts[static_cast<std::size_t>(next)], m);
      next = (next + 1) % servers;
    }
  })->daemonize();
  sg4::Actor::create("balancer-replies", lb, [client] {
    lb_replies->set_receiver(sg4::Actor::self());
    for (;;) send(client_box, client, lb_replies->get<Msg>());
  })->daemonize();
  sg4::Actor::create("replies", client, [] {
    client_box->set_receiver(sg4::Actor::self());
    for (;;) {
      auto* m = client_box->get<Msg>();
      latency_sum += sg4::Engine::get_clock() - m->sent_at;
      ++done;
      delete m;
    }
  })->daemonize();
  sg4::Actor::create("arrivals", client, [servers, seconds, lb] {
    const double rate = 250.0 * servers;
    while (sg4::Engine::get_clock() < seconds) {
      sg4::this_actor::sleep_for(expo(1 / rate));
      send(lb_box, lb, new Msg{sg4::Engine::get_clock()});
    }
    sg4::this_actor::sleep_for(1);
  });
  const auto start = std::chrono::steady_clock::now();
  engine->run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s, %s: %d servers, %ld requests in %.2f s: %.1f us per request, mean latency %.2f ms\n", argv[3],
              g_dispatch ? "dispatcher" : "threads", servers,
              done, wall, 1e6 * wall / static_cast<double>(done), 1e3 * latency_sum / static_cast<double>(done));
  return 0;
}
