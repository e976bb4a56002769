// The cost of the simulation itself: a minimal SimGrid program that performs the same
// activities per request as archsim's step scenarios (the same transfers between the same
// hosts, executions and disk work, with the same mean sizes and the same operation mix),
// with none of archsim's machinery (no queues and admission, no routing policies, no
// timeouts, no metrics). scripts/bench divides archsim's requests per wall-second by this
// program's: the ratio says what archsim's modelling costs on top of the engine.
//
// usage: minimal_s4u STEP REQUESTS      (STEP: 1, 2 or 3)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "bench_s4u.hpp"

namespace sg4 = simgrid::s4u;

namespace {

using bench::kFlops;
constexpr double kDiskUnit = 1e9;    // disk companion host: units per second of disk time
constexpr double kSeek = 0.010;      // HDD
constexpr double kReadBps = 1048576 / 0.030;
constexpr double kWriteBps = kReadBps;

struct Msg {
  long id;
  int op;        // 0 view, 1 search, 2 checkout; db: 10 select, 11 search, 12 insert
  sg4::Mailbox* reply;
  double bytes;  // reply size
};

// One transfer of the message's bytes, as archsim makes one (there a host-to-host transfer
// that the receiving inbox awaits).
void send(sg4::Mailbox* to, Msg* m, double bytes) { to->put_init(m, static_cast<uint64_t>(bytes))->detach(); }

Msg* receive(sg4::Mailbox* own) { return own->get<Msg>(); }

using bench::expo;
using bench::uniform;

struct Tier;
std::vector<Tier*> g_tiers;

// A tier of long-lived worker actors taking requests straight off an eager mailbox.
struct Tier {
  std::string name;
  std::vector<sg4::Host*> hosts;
  std::vector<sg4::Host*> disks;
  std::vector<sg4::Mailbox*> inboxes;
  int workers;
  std::size_t next = 0;

  sg4::Mailbox* pick() { return inboxes[next++ % inboxes.size()]; }
};

Tier* lb = nullptr;
Tier* web = nullptr;
Tier* db = nullptr;
long done = 0;

void call(Tier& tier, sg4::Mailbox* own, int op, double request_bytes, double reply_bytes, std::size_t replica) {
  auto* m = new Msg{0, op, own, reply_bytes};
  send(tier.inboxes[replica], m, request_bytes);
  delete receive(own);
}

void db_worker(std::size_t replica, int w) {
  auto* own = sg4::Mailbox::by_name(db->name + std::to_string(replica) + "-r" + std::to_string(w));
  own->set_receiver(sg4::Actor::self());
  sg4::Host* disk = db->disks[replica];
  for (;;) {
    Msg* m = db->inboxes[replica]->get<Msg>();
    if (m->op == 13) {  // replication event: apply
      sg4::this_actor::execute(0.0002 * kFlops);
      delete m;
      continue;
    }
    const double cpu = m->op == 11 ? expo(0.010) : m->op == 12 ? expo(0.002) : expo(0.001);
    sg4::this_actor::execute(cpu * kFlops);
    if (m->op == 12) {
      sg4::this_actor::exec_init((kSeek + 8192 / kWriteBps) * kDiskUnit)->set_host(disk)->wait();
      if (db->inboxes.size() > 1)  // replicate to the read replicas
        for (std::size_t r = 1; r < db->inboxes.size(); ++r)
          db->inboxes[r]->put_init(new Msg{0, 13, nullptr, 0}, 2048)->detach();
    } else if (uniform() < 0.05) {
      const double bytes = m->op == 11 ? 65536 : 16384;
      sg4::this_actor::exec_init((kSeek + bytes / kReadBps) * kDiskUnit)->set_host(disk)->wait();
    }
    send(m->reply, m, m->bytes);
  }
}

std::size_t read_replica() {
  if (db->inboxes.size() == 1) return 0;
  return 1 + static_cast<std::size_t>(db->next++ % (db->inboxes.size() - 1));
}

void web_worker(std::size_t replica, int w) {
  auto* own = sg4::Mailbox::by_name(web->name + std::to_string(replica) + "-r" + std::to_string(w));
  own->set_receiver(sg4::Actor::self());
  for (;;) {
    Msg* m = web->inboxes[replica]->get<Msg>();
    if (m->op == 0) {
      sg4::this_actor::execute(expo(0.004) * kFlops);
      call(*db, own, 10, 512, 4096, read_replica());
      sg4::this_actor::execute(0.001 * kFlops);
    } else if (m->op == 1) {
      sg4::this_actor::execute(expo(0.008) * kFlops);
      call(*db, own, 11, 512, 16384, read_replica());
    } else {
      sg4::this_actor::execute(expo(0.006) * kFlops);
      call(*db, own, 12, 2048, 512, 0);
      call(*db, own, 10, 512, 4096, read_replica());
    }
    send(m->reply, m, m->bytes);
  }
}

void lb_worker(int w) {
  auto* own = sg4::Mailbox::by_name("lb-r" + std::to_string(w));
  own->set_receiver(sg4::Actor::self());
  for (;;) {
    Msg* m = lb->inboxes[0]->get<Msg>();
    sg4::this_actor::execute(0.00005 * kFlops);
    call(*web, own, m->op, 1024, m->bytes, web->next++ % web->inboxes.size());
    send(m->reply, m, m->bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: minimal_s4u STEP REQUESTS\n");
    return 2;
  }
  const int step = std::atoi(argv[1]);
  const long requests = std::atol(argv[2]);
  auto engine = bench::make_engine(argv[0]);
  auto* zone = sg4::create_star_zone("datacenter");
  auto host = [&](const std::string& name, int cores, double latency, double bw) {
    auto* h = bench::add_host(zone, name, cores, latency, bw);
    auto* lo = zone->create_link(name + "-lo", 4e9)->set_latency(2e-5)->set_sharing_policy(sg4::Link::SharingPolicy::FATPIPE);
    zone->add_route(h->get_netpoint(), h->get_netpoint(), nullptr, nullptr, {{lo, sg4::LinkInRoute::Direction::NONE}},
                    false);
    return h;
  };
  auto* client = host("client", 1, 0.01 - 0.000125, 12.5e9);
  const double rate = step == 3 ? 1200 : 400;
  static Tier web_tier{"web", {}, {}, {}, 64};
  static Tier db_tier{"db", {}, {}, {}, 100};
  static Tier lb_tier{"lb", {}, {}, {}, 4096};
  web = &web_tier;
  db = &db_tier;
  auto add = [&](Tier& t, sg4::Host* h) {
    t.hosts.push_back(h);
    sg4::Host* disk = sg4::Host::by_name_or_null(h->get_name() + "-disk");
    t.disks.push_back(disk ? disk : zone->create_host(h->get_name() + "-disk", kDiskUnit));
    t.inboxes.push_back(sg4::Mailbox::by_name(t.name + std::to_string(t.inboxes.size())));
  };
  if (step == 1) {
    auto* node = host("node1", 4, 0.000125, 125e6);
    add(web_tier, node);
    add(db_tier, node);
  } else if (step == 2) {
    add(web_tier, host("app1", 4, 0.000125, 125e6));
    add(db_tier, host("db1", 4, 0.000125, 125e6));
  } else {
    lb = &lb_tier;
    add(lb_tier, host("lb-1", 4, 0.000125, 125e6));
    for (int i = 1; i <= 4; ++i) add(web_tier, host("web-" + std::to_string(i), 4, 0.000125, 125e6));
    for (int i = 1; i <= 3; ++i) add(db_tier, host("db-" + std::to_string(i), 4, 0.000125, 125e6));
  }
  zone->seal();

  // Workers start on demand in archsim; here they all exist from the start.
  // Inboxes are eager (their transfers start before a worker asks), as archsim's are.
  for (std::size_t r = 0; r < db_tier.hosts.size(); ++r)
    for (int w = 0; w < 24; ++w) {
      auto a = sg4::Actor::create("db", db_tier.hosts[r], db_worker, r, w);
      a->daemonize();
      if (w == 0) db_tier.inboxes[r]->set_receiver(a);
    }
  for (std::size_t r = 0; r < web_tier.hosts.size(); ++r)
    for (int w = 0; w < 32; ++w) {
      auto a = sg4::Actor::create("web", web_tier.hosts[r], web_worker, r, w);
      a->daemonize();
      if (w == 0) web_tier.inboxes[r]->set_receiver(a);
    }
  if (lb)
    for (int w = 0; w < 128; ++w) {
      auto a = sg4::Actor::create("lb", lb_tier.hosts[0], lb_worker, w);
      a->daemonize();
      if (w == 0) lb_tier.inboxes[0]->set_receiver(a);
    }

  // Open-loop clients: a generator hands arrivals to a pool of client actors.
  static std::deque<Msg*> arrivals;
  static sg4::SemaphorePtr ready = sg4::Semaphore::create(0);
  static int idle = 0, clients = 0;
  static Tier* entry = lb ? lb : web;
  static sg4::Host* client_host = client;
  static auto spawn = [] {
    const int i = clients++;
    sg4::Actor::create("client", client_host, [i] {
      auto* own = sg4::Mailbox::by_name("client-" + std::to_string(i));
      own->set_receiver(sg4::Actor::self());
      for (;;) {
        ++idle;
        ready->acquire();
        --idle;
        Msg* m = arrivals.front();
        arrivals.pop_front();
        m->reply = own;
        sg4::Mailbox* to = entry->pick();
        send(to, m, 1024);
        delete receive(own);
        ++done;
      }
    })->daemonize();
  };
  sg4::Actor::create("generator", client, [requests, rate] {
    for (long i = 0; i < requests; ++i) {
      sg4::this_actor::sleep_for(expo(1.0 / rate));
      const double u = uniform();
      const int op = u < 0.8 ? 0 : u < 0.95 ? 1 : 2;
      arrivals.push_back(new Msg{i, op, nullptr, op == 0 ? 40960.0 : op == 1 ? 61440.0 : 8192.0});
      if (idle == 0) spawn();
      ready->release();
    }
    sg4::this_actor::sleep_for(5);
  });
  const auto start = std::chrono::steady_clock::now();
  engine->run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("step %d: %ld requests in %.2f s of wall time: %.0f requests/s\n", step, done, wall,
              static_cast<double>(done) / wall);
  return 0;
}
