// M/M/1 at rho = 0.8 as a minimal SimGrid program, the model of tests/validation/mm1.json:
// Poisson arrivals, one server executing each customer for an exponential time on its one
// core, first come first served. Two variants:
//   queue     the least a SimGrid program needs: arrivals join a queue, a semaphore wakes
//             the server actor (no network: the model has none)
//   messages  what archsim does per customer: a request message to the server's host, the
//             execution, a reply message back
// scripts/bench compares archsim's speed on the same model with both and with SimPy 2.
//
// usage: mm1_s4u SECONDS queue|messages
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include <simgrid/s4u.hpp>

#include "bench_s4u.hpp"

namespace sg4 = simgrid::s4u;

namespace {
constexpr double kLambda = 80;
constexpr double kMeanService = 0.010;

struct Customer {
  double arrived;
};

using bench::expo;
using bench::kFlops;
long served = 0;
double total_response = 0;
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::strcmp(argv[2], "queue") != 0 && std::strcmp(argv[2], "messages") != 0)) {
    std::fprintf(stderr, "usage: mm1_s4u SECONDS queue|messages\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const bool messages = std::strcmp(argv[2], "messages") == 0;
  auto engine = bench::make_engine(argv[0]);
  auto* zone = sg4::create_star_zone("zone");
  sg4::Host* client = bench::add_host(zone, "client", 1, 0, 125e6);
  sg4::Host* server = bench::add_host(zone, "server", 1, 0, 125e6);
  zone->seal();
  static sg4::Mailbox* to_server = sg4::Mailbox::by_name("server");
  static sg4::Mailbox* to_client = sg4::Mailbox::by_name("client");

  static std::deque<Customer> queue;
  static sg4::SemaphorePtr waiting = sg4::Semaphore::create(0);
  auto record = [](double arrived) {
    ++served;
    total_response += sg4::Engine::get_clock() - arrived;
  };
  if (messages) {
    sg4::Actor::create("server", server, [] {
      to_server->set_receiver(sg4::Actor::self());
      for (;;) {
        auto* c = to_server->get<Customer>();
        sg4::this_actor::execute(expo(kMeanService) * kFlops);
        to_client->put_init(c, 1)->detach();
      }
    })->daemonize();
    sg4::Actor::create("replies", client, [record] {
      to_client->set_receiver(sg4::Actor::self());
      for (;;) {
        auto* c = to_client->get<Customer>();
        record(c->arrived);
        delete c;
      }
    })->daemonize();
  } else {
    sg4::Actor::create("server", server, [record] {
      for (;;) {
        waiting->acquire();
        const Customer c = queue.front();
        queue.pop_front();
        sg4::this_actor::execute(expo(kMeanService) * kFlops);
        record(c.arrived);
      }
    })->daemonize();
  }
  sg4::Actor::create("arrivals", client, [seconds, messages] {
    while (sg4::Engine::get_clock() < seconds) {
      if (messages) {
        to_server->put_init(new Customer{sg4::Engine::get_clock()}, 1)->detach();
      } else {
        queue.push_back({sg4::Engine::get_clock()});
        waiting->release();
      }
      sg4::this_actor::sleep_for(expo(1 / kLambda));
    }
    sg4::this_actor::sleep_for(10);
  });
  const auto start = std::chrono::steady_clock::now();
  engine->run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("mm1_s4u %s: %ld customers in %.2f s, mean response %.2f ms\n", argv[2], served, wall,
              1000 * total_response / static_cast<double>(served));
  return 0;
}
