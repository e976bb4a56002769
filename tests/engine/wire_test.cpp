// The wire (engine/wire.hpp) on a small platform whose links have no latency: a message
// arrives after its path's latency plus its bytes over the bandwidth; messages of one
// path keep their order; a message to the same host takes the loopback latency; a message
// held for a host that goes down is lost while the others arrive; messages still held
// when the wire is destroyed are freed (the sanitizer lane checks for leaks); a message of
// no bytes reaches an inbox after exactly its latency, also while a long transfer to it is
// in progress; long messages whose bodies share a NIC reach their inbox when
// processor sharing says their bodies end, and those whose bodies ended while the owner
// was busy all come out at once, none lost; one whose sender goes down before its body
// is in is lost, and the next one arrives; one whose last byte comes in after its
// caller's deadline is cut off, also while the owner waits without a time limit; a timed
// receive with nothing on its way ends empty at exactly its time limit; a host failure
// between two cut-offs of the same inbox loses the failed host's message and leaves the
// inbox whole.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <simgrid/kernel/resource/Action.hpp>
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

// Sends message `id` of `bytes` to mailbox `to` on host `host`; a deadline (> 0) is when its
// caller gives up, and makes a message of more than one window a long one.
void send(sg4::Mailbox* to, sg4::Host* host, std::uint64_t id, double bytes, double deadline = 0) {
  auto* m = new Message{};
  m->id = id;
  m->deadline = deadline;
  archsim::send_message(to, host, m, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  engine.set_config("network/model:CM02");
  engine.set_config("network/crosstraffic:0");
  auto* zone = sg4::create_star_zone("zone");
  std::vector<sg4::Host*> hosts;
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) {
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
  sg4::Host* d = hosts[3];

  auto wire = std::make_unique<archsim::Wire>();
  wire->attach(a, 0.005, 0.00002);
  wire->attach(b, 0.010, 0.00002);
  wire->attach(c, 0.001, 0.00002);
  wire->attach(d, 0.001, 0.00002);
  sg4::Host* e = hosts[4];
  sg4::Host* f = hosts[5];
  wire->attach(e, 0.001, 0.00002);
  wire->attach(f, 0.001, 0.00002);
  expect_near("latency a->b", archsim::Wire::latency(a, b), 0.015);
  expect_near("latency a->a", archsim::Wire::latency(a, a), 0.00002);

  auto* to_b = sg4::Mailbox::by_name("b");
  auto* to_c = sg4::Mailbox::by_name("c");
  auto* to_a = sg4::Mailbox::by_name("a");

  archsim::Inbox inbox_b(to_b);
  archsim::Inbox inbox_c(to_c);
  archsim::Inbox inbox_a(to_a);
  sg4::Actor::create("receiver-b", b, [&inbox_b] {
    inbox_b.bind();
    // 1. Latency, then the bytes.
    Message* m = inbox_b.receive(1);
    expect_near("a->b, 1000 bytes", sg4::Engine::get_clock() - m->sent_at, 0.015 + 1000 / kBandwidth);
    delete m;
    // 2. Order on one path: ids 1, 2, 3 in turn.
    bool ordered = true;
    for (std::uint64_t id = 1; id <= 3; ++id) {
      m = inbox_b.receive(1);
      ordered = ordered && m && m->id == id;
      delete m;
    }
    expect("messages of one path keep their order", ordered);
  });
  sg4::Actor::create("receiver-c", c, [&inbox_c] {
    inbox_c.bind();
    // 4. The message held for b is lost when b goes down; the one to c arrives.
    Message* m = inbox_c.receive(1);
    expect("a message to another host still arrives", m != nullptr && m->id == 7);
    delete m;
  });
  sg4::Actor::create("receiver-a", a, [&inbox_a] {
    inbox_a.bind();
    Message* m = inbox_a.receive(1);
    expect_near("a->a, 100 bytes", m ? sg4::Engine::get_clock() - m->sent_at : -1, 0.00002 + 100 / 1e10);
    delete m;
  });
  // 6. Messages of no bytes to an inbox on c (latency a->c: 6 ms): one alone, one while a
  // long transfer to it is in progress (1 MB at 125 MB/s: 8 ms).
  auto* to_c0 = sg4::Mailbox::by_name("c0");
  archsim::Inbox inbox_c0(to_c0);
  sg4::Actor::create("receiver-c0", c, [&inbox_c0] {
    inbox_c0.bind();
    Message* m = inbox_c0.receive(1);
    expect_near("no bytes", m ? sg4::Engine::get_clock() - m->sent_at : -1, 0.006);
    delete m;
    std::vector<Message*> got;
    std::vector<double> at;
    for (int i = 0; i < 2; ++i) {
      got.push_back(inbox_c0.receive(1));
      at.push_back(sg4::Engine::get_clock());
    }
    // The message of no bytes, sent 1 ms after the long one, arrives first and on time.
    expect("no bytes, during a long transfer: first in", got[0] && got[0]->id == 21);
    expect_near("no bytes, during a long transfer", got[0] ? at[0] - got[0]->sent_at : -1, 0.006);
    expect_near("the long one after it", got[1] ? at[1] - got[1]->sent_at : -1, 0.006 + 1e6 / kBandwidth);
    for (Message* g : got) delete g;
  });
  sg4::Actor::create("sender-c0", a, [to_c0, c] {
    sg4::this_actor::sleep_until(0.05);
    send(to_c0, c, 0, 0);
    sg4::this_actor::sleep_until(0.1);
    send(to_c0, c, 20, 1e6);
    sg4::this_actor::sleep_for(0.001);
    send(to_c0, c, 21, 0);
  });
  // 7. Long messages from a to an inbox on c: 30 bodies of 17 to 75 KB
  // start together (at 0.13 s + 6 ms) and share the NICs; sent again at 0.16 s while the
  // owner is busy until 0.19 s.
  constexpr int kBodies = 30;
  const auto body_bytes = [](int k) { return 15000.0 + 2000.0 * k; };  // k = 1..kBodies
  auto* to_c1 = sg4::Mailbox::by_name("c1");
  archsim::Inbox inbox_c1(to_c1);
  sg4::Actor::create("receiver-c1", c, [&inbox_c1, body_bytes] {
    inbox_c1.bind();
    // Processor sharing of one bottleneck by bodies that start together: the k-th smallest
    // ends after the previous one plus its extra bytes at 1/(bodies left) of the bandwidth.
    std::vector<double> ends;
    double end = 0.13 + 0.006;
    for (int k = 1; k <= kBodies; ++k) {
      const double previous = k > 1 ? body_bytes(k - 1) : 0.0;
      end += (body_bytes(k) - previous) * (kBodies - k + 1) / kBandwidth;
      ends.push_back(end);
    }
    bool in_order = true;
    double worst = 0;
    for (int k = 1; k <= kBodies; ++k) {
      Message* m = inbox_c1.receive(1);
      in_order = in_order && m && m->id == static_cast<std::uint64_t>(100 + k);
      worst = std::max(worst, std::fabs(sg4::Engine::get_clock() - ends[static_cast<std::size_t>(k - 1)]));
      delete m;
    }
    expect("long messages come out as their bodies end, smallest first", in_order);
    expect_near("long messages, worst gap to processor sharing", worst, 0.0, 1e-7);
    // Busy while the second round's bodies all end: each comes out at once.
    sg4::this_actor::sleep_until(0.19);
    bool all_at_once = true;
    std::vector<bool> seen(kBodies + 1, false);
    for (int k = 1; k <= kBodies; ++k) {
      Message* m = inbox_c1.receive(0.001);
      const auto index = m ? static_cast<std::size_t>(m->id - 200) : 0;
      all_at_once = all_at_once && m && index >= 1 && index <= kBodies && !seen[index] &&
                    sg4::Engine::get_clock() == 0.19;
      if (m) seen[index] = true;
      delete m;
    }
    expect("bodies that ended while the owner was busy: all there at once", all_at_once);
  });
  sg4::Actor::create("sender-c1", a, [to_c1, c, body_bytes] {
    for (std::uint64_t round : {100, 200}) {
      sg4::this_actor::sleep_until(round == 100 ? 0.13 : 0.16);
      for (int k = kBodies; k >= 1; --k)  // largest first: the order of ends is not that of sending
        send(to_c1, c, round + static_cast<std::uint64_t>(k), body_bytes(k), 10);  // a caller that waits: long
    }
  });
  // 8. A long message from d (1 MB: 8 ms) to an inbox on b, sent at 0.22 s; d goes down
  // 4 ms into the body, until after the body would have been in: the message is lost. A
  // second one (100 KB), sent from d at 0.25 s once it is back, arrives.
  auto* to_b1 = sg4::Mailbox::by_name("b1");
  archsim::Inbox inbox_b1(to_b1);
  bool b1_checked = false;
  sg4::Actor::create("receiver-b1", b, [&inbox_b1, &b1_checked] {
    inbox_b1.bind();
    sg4::this_actor::sleep_until(0.2);
    Message* m = inbox_b1.receive(0.09);
    expect("a long message whose sender went down is lost, the next one arrives", m && m->id == 32);
    b1_checked = true;
    delete m;
  });
  const auto send_from_d = [b](double at, std::uint64_t id, double bytes) {
    sg4::this_actor::sleep_until(at);
    send(sg4::Mailbox::by_name("b1"), b, id, bytes, 10);
  };
  sg4::Actor::create("sender-d", d, [send_from_d] { send_from_d(0.22, 31, 1e6); });
  sg4::Actor::create("crasher-d", a, [d, send_from_d] {
    sg4::this_actor::sleep_until(0.22 + 0.011 + 0.004);
    d->turn_off();
    sg4::this_actor::sleep_until(0.245);
    d->turn_on();
    sg4::Actor::create("sender-d-again", d, [send_from_d] { send_from_d(0.25, 32, 1e5); });
  });
  // 9. A long message from a to an inbox on c (1 MB: 8 ms, after 6 ms of latency) whose
  // caller gives up 10 ms after sending it, while the owner waits for ever: its last byte
  // comes in after the deadline, and it is cut off; a message of no bytes sent after it
  // arrives.
  auto* to_c2 = sg4::Mailbox::by_name("c2");
  archsim::Inbox inbox_c2(to_c2);
  bool c2_checked = false;
  sg4::Actor::create("receiver-c2", c, [&inbox_c2, &c2_checked] {
    inbox_c2.bind();
    Message* m = inbox_c2.receive(-1);
    expect("a long message whose last byte came in after its deadline is cut off", m && m->id == 42);
    c2_checked = true;
    delete m;
  });
  sg4::Actor::create("sender-c2", a, [to_c2, c] {
    sg4::this_actor::sleep_until(0.26);
    send(to_c2, c, 41, 1e6, 0.27);
    sg4::this_actor::sleep_until(0.275);
    send(to_c2, c, 42, 0);
  });
  // 10. A timed receive with nothing on its way ends empty at exactly its time limit.
  auto* to_d = sg4::Mailbox::by_name("d");
  archsim::Inbox inbox_d(to_d);
  bool d_checked = false;
  sg4::Actor::create("receiver-d", d, [&inbox_d, &d_checked] {
    inbox_d.bind();
    sg4::this_actor::sleep_until(0.1);
    Message* m = inbox_d.receive(0.0625);
    expect("a timed receive with nothing on its way ends empty", m == nullptr);
    expect_near("... at its time limit", sg4::Engine::get_clock(), 0.1625, 0.0);
    d_checked = true;
    delete m;
  });
  // 11. A host failure in the middle of a cut-off. Two long messages from a to an inbox on
  // f (1 MB each, sent at 0.02 s, 6 ms of latency) whose caller gives up at 0.03 s, and a
  // long one from e (1 MB, 2 ms of latency) whose caller waits: the three bodies share f's
  // NIC, and none is in by 0.035 s, when the owner's timed receive ends and cuts the two
  // late ones off. Cutting one off cancels its transfer, which lets other actors run; the
  // first cancel wakes an actor that turns e off there, between the two cuts, until
  // 0.04 s. Then e's message is lost, the second cut goes on, and the inbox still
  // receives: a message from e once it is back (100 KB at 0.045 s, in at 0.0478 s), then
  // one of no bytes from a (sent at 0.045 s, in at 0.051 s).
  auto* to_f3 = sg4::Mailbox::by_name("f3");
  archsim::Inbox inbox_f3(to_f3);
  bool f3_checked = false;
  int cancels_before_failure = -1;
  int cancels = 0;
  sg4::SemaphorePtr fail_e = sg4::Semaphore::create(0);
  sg4::Link::on_communication_state_change_cb(
      [&cancels, fail_e](simgrid::kernel::resource::NetworkAction& network_action,
                         simgrid::kernel::resource::Action::State) {
        // NetworkAction's one, non-virtual base is Action (see engine/inbox.cpp).
        const auto& action = reinterpret_cast<const simgrid::kernel::resource::Action&>(network_action);
        if (sg4::Engine::get_clock() != 0.035 ||
            action.get_state() != simgrid::kernel::resource::Action::State::FAILED)
          return;
        if (++cancels == 1) fail_e->release();  // from the first cut-off's cancel
      });
  sg4::Actor::create("failer-e", a, [e, fail_e, &cancels, &cancels_before_failure] {
    fail_e->acquire();
    cancels_before_failure = cancels;
    e->turn_off();
    sg4::this_actor::sleep_until(0.04);
    e->turn_on();
    sg4::Actor::create("sender-e-again", e, [] {
      sg4::this_actor::sleep_until(0.045);
      send(sg4::Mailbox::by_name("f3"), sg4::Host::by_name("f"), 54, 1e5, 10);
    });
  });
  sg4::Actor::create("receiver-f3", f, [&inbox_f3, &f3_checked] {
    inbox_f3.bind();
    Message* m = inbox_f3.receive(0.035);
    expect("cut-off with a failure: the timed receive ends empty", m == nullptr);
    expect_near("... at its time limit", sg4::Engine::get_clock(), 0.035, 0.0);
    delete m;
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 2; ++i) {
      m = inbox_f3.receive(0.03);
      ids.push_back(m ? m->id : 0);
      delete m;
    }
    expect("after the cut-off and the failure, the inbox receives what came next, in order",
           ids == std::vector<std::uint64_t>{54, 52});
    m = inbox_f3.receive(0.01);
    expect("neither the cut-off messages nor the failed host's arrive", m == nullptr);
    delete m;
    f3_checked = true;
  });
  sg4::Actor::create("sender-f3", a, [to_f3, f] {
    sg4::this_actor::sleep_until(0.02);
    for (std::uint64_t id : {50, 51}) send(to_f3, f, id, 1e6, 0.03);
    sg4::this_actor::sleep_until(0.045);
    send(to_f3, f, 52, 0);
  });
  sg4::Actor::create("sender-e", e, [to_f3, f] {
    sg4::this_actor::sleep_until(0.02);
    send(to_f3, f, 53, 1e6, 10);
  });
  sg4::Actor::create("sender", a, [&wire, to_b, to_c, to_a, b, c, a] {
    send(to_b, b, 0, 1000);
    sg4::this_actor::sleep_for(0.1);
    for (std::uint64_t id = 1; id <= 3; ++id) {
      send(to_b, b, id, 100.0 * static_cast<double>(4 - id));  // shorter ones later
      sg4::this_actor::sleep_for(0.0001);
    }
    sg4::this_actor::sleep_for(0.1);
    send(to_a, a, 0, 100);
    // 3. Held for b when b goes down: lost.
    send(to_b, b, 6, 100);
    send(to_c, c, 7, 100);
    sg4::this_actor::sleep_for(0.001);
    const std::size_t held = wire->held();
    wire->lose_traffic_of(b);
    expect("the message held for the host that went down is dropped", wire->held() == held - 1);
    // 5. Left held at the end: freed with the wire.
    sg4::this_actor::sleep_until(0.29);
    send(to_b, b, 0, 100);
    send(to_b, b, 0, 20000);
  });
  engine.run_until(0.3);
  expect("two messages left held at the end", wire->held() == 2);
  expect("the inbox on b was checked", b1_checked);
  expect("the inbox on c2 was checked", c2_checked);
  expect("the inbox on d was checked", d_checked);
  expect("the inbox on f3 was checked", f3_checked);
  expect("e failed between the two cut-offs (one cancel before it)", cancels_before_failure == 1);
  wire.reset();
  std::printf("%s\n", failures == 0 ? "all passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
