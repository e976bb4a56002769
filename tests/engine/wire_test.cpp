// The wire (engine/wire.hpp) on a small platform whose links have no latency: a message
// arrives after its path's latency plus its bytes over the bandwidth; messages of one
// path keep their order; a message to the same host takes the loopback latency; a message
// held for a host that goes down is lost while the others arrive; messages still held
// when the wire is destroyed are freed (the sanitizer lane checks for leaks); a message of
// no bytes reaches an inbox after exactly its latency, whether its owner sleeps or watches
// a transfer in progress.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/inbox.hpp"
#include "engine/message.hpp"
#include "engine/wire.hpp"

namespace sg4 = simgrid::s4u;
using archsim::Message;

namespace {
constexpr double kBandwidth = 125e6;  // bytes/s
int failures = 0;

void expect_near(const char* what, double got, double want, double tolerance = 1e-9) {
  if (std::fabs(got - want) > tolerance) {
    std::printf("FAIL %s: got %.9f s, expected %.9f s\n", what, got, want);
    ++failures;
  } else {
    std::printf("ok   %s: %.9f s\n", what, got);
  }
}

void expect(const char* what, bool ok) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += ok ? 0 : 1;
}

Message* receive(sg4::Mailbox* box, double timeout) {
  Message* m = nullptr;
  auto comm = box->get_async<Message>(&m);
  try {
    comm->wait_for(timeout);
  } catch (const simgrid::TimeoutException&) {
    comm->cancel();
    return nullptr;
  }
  return m;
}
}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  engine.set_config("network/model:CM02");
  engine.set_config("network/crosstraffic:0");
  auto* zone = sg4::create_star_zone("zone");
  std::vector<sg4::Host*> hosts;
  for (const char* name : {"a", "b", "c"}) {
    auto* h = zone->create_host(name, 1e9);
    auto* nic = zone->create_split_duplex_link(std::string(name) + "-nic", kBandwidth);
    zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, {{nic, sg4::LinkInRoute::Direction::UP}}, true);
    auto* loopback = zone->create_link(std::string(name) + "-lo", 1e10);
    zone->add_route(h->get_netpoint(), h->get_netpoint(), nullptr, nullptr,
                    {{loopback, sg4::LinkInRoute::Direction::NONE}}, false);
    hosts.push_back(h);
  }
  zone->seal();
  sg4::Host* a = hosts[0];
  sg4::Host* b = hosts[1];
  sg4::Host* c = hosts[2];

  auto wire = std::make_unique<archsim::Wire>();
  wire->attach(a, 0.005, 0.00002);
  wire->attach(b, 0.010, 0.00002);
  wire->attach(c, 0.001, 0.00002);
  expect_near("latency a->b", archsim::Wire::latency(a, b), 0.015);
  expect_near("latency a->a", archsim::Wire::latency(a, a), 0.00002);

  auto* to_b = sg4::Mailbox::by_name("b");
  auto* to_c = sg4::Mailbox::by_name("c");
  auto* to_a = sg4::Mailbox::by_name("a");

  sg4::Actor::create("receiver-b", b, [to_b] {
    to_b->set_receiver(sg4::Actor::self());
    // 1. Latency, then the bytes.
    Message* m = receive(to_b, 1);
    expect_near("a->b, 1000 bytes", sg4::Engine::get_clock() - m->sent_at, 0.015 + 1000 / kBandwidth);
    delete m;
    // 2. Order on one path: ids 1, 2, 3 in turn.
    bool ordered = true;
    for (std::uint64_t id = 1; id <= 3; ++id) {
      m = receive(to_b, 1);
      ordered = ordered && m && m->id == id;
      delete m;
    }
    expect("messages of one path keep their order", ordered);
  });
  sg4::Actor::create("receiver-c", c, [to_c] {
    to_c->set_receiver(sg4::Actor::self());
    // 4. The message held for b is lost when b goes down; the one to c arrives.
    Message* m = receive(to_c, 1);
    expect("a message to another host still arrives", m != nullptr && m->id == 7);
    delete m;
  });
  sg4::Actor::create("receiver-a", a, [to_a] {
    to_a->set_receiver(sg4::Actor::self());
    Message* m = receive(to_a, 1);
    expect_near("a->a, 100 bytes", m ? sg4::Engine::get_clock() - m->sent_at : -1, 0.00002 + 100 / 1e10);
    delete m;
  });
  // 6. Messages of no bytes to an inbox on c (latency a->c: 6 ms): one while the owner
  // sleeps, one while it watches a long transfer (1 MB at 125 MB/s: 8 ms).
  auto* to_c0 = sg4::Mailbox::by_name("c0");
  archsim::Inbox inbox_c0(to_c0, 2);
  sg4::Actor::create("receiver-c0", c, [&inbox_c0] {
    inbox_c0.bind();
    Message* m = inbox_c0.receive(1);
    expect_near("no bytes, owner asleep", m ? sg4::Engine::get_clock() - m->sent_at : -1, 0.006);
    delete m;
    std::vector<Message*> got;
    std::vector<double> at;
    for (int i = 0; i < 2; ++i) {
      got.push_back(inbox_c0.receive(1));
      at.push_back(sg4::Engine::get_clock());
    }
    // The message of no bytes, sent 1 ms after the long one, arrives first and on time.
    expect("no bytes, owner watching a transfer: first in", got[0] && got[0]->id == 21);
    // (sent as one byte, which shares the NICs with the long transfer for a few ns)
    expect_near("no bytes, owner watching a transfer", got[0] ? at[0] - got[0]->sent_at : -1, 0.006, 1e-7);
    expect_near("the long one after it", got[1] ? at[1] - got[1]->sent_at : -1, 0.006 + 1e6 / kBandwidth, 1e-7);
    for (Message* g : got) delete g;
  });
  sg4::Actor::create("sender-c0", a, [to_c0, c] {
    sg4::this_actor::sleep_until(0.05);
    archsim::send_message(to_c0, c, new Message{}, 0);
    sg4::this_actor::sleep_until(0.1);
    auto* big = new Message{};
    big->id = 20;
    archsim::send_message(to_c0, c, big, 1e6);
    sg4::this_actor::sleep_for(0.001);
    auto* small = new Message{};
    small->id = 21;
    archsim::send_message(to_c0, c, small, 0);
  });
  sg4::Actor::create("sender", a, [&wire, to_b, to_c, to_a, b, c, a] {
    archsim::send_message(to_b, b, new Message{}, 1000);
    sg4::this_actor::sleep_for(0.1);
    for (std::uint64_t id = 1; id <= 3; ++id) {
      auto* m = new Message{};
      m->id = id;
      archsim::send_message(to_b, b, m, 100.0 * static_cast<double>(4 - id));  // shorter ones later
      sg4::this_actor::sleep_for(0.0001);
    }
    sg4::this_actor::sleep_for(0.1);
    archsim::send_message(to_a, a, new Message{}, 100);
    // 3. Held for b when b goes down: lost.
    auto* doomed = new Message{};
    doomed->id = 6;
    archsim::send_message(to_b, b, doomed, 100);
    auto* kept = new Message{};
    kept->id = 7;
    archsim::send_message(to_c, c, kept, 100);
    sg4::this_actor::sleep_for(0.001);
    const std::size_t held = wire->held();
    wire->lose_traffic_of(b);
    expect("the message held for the host that went down is dropped", wire->held() == held - 1);
    // 5. Left held at the end: freed with the wire.
    sg4::this_actor::sleep_until(0.29);
    archsim::send_message(to_b, b, new Message{}, 100);
    archsim::send_message(to_b, b, new Message{}, 20000);
  });
  engine.run_until(0.3);
  expect("two messages left held at the end", wire->held() == 2);
  wire.reset();
  std::printf("%s\n", failures == 0 ? "all passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
