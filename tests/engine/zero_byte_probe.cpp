// A bare S4U program showing the SimGrid 3.32 behaviour that engine/message.hpp works around
// (kMinimumWireBytes): a zero-byte transfer over a 50 ms link, sent while other transfers
// start and end, arrives early; a one-byte transfer always takes the latency. Prints the
// mean and minimum delivery times of 200 messages sent 10 ms apart, for 0 and 1 byte; the
// test (tests/CMakeLists.txt) checks that the minimum is 50 ms with one byte and states
// whether SimGrid still delivers zero-byte messages early.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <simgrid/s4u.hpp>

namespace sg4 = simgrid::s4u;

namespace {
constexpr int kMessages = 200;
constexpr double kGap = 0.01;
constexpr double kLatency = 0.05;
struct Sent {
  double at;
};
double sum[2] = {0, 0};
double fastest[2] = {1e9, 1e9};
}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  engine.set_config("network/model:CM02");
  auto* zone = sg4::create_full_zone("zone");
  auto* a = zone->create_host("a", 1e9);
  auto* b = zone->create_host("b", 1e9);
  auto* link = zone->create_link("link", 125e6)->set_latency(kLatency);
  zone->add_route(a->get_netpoint(), b->get_netpoint(), nullptr, nullptr, {{link, sg4::LinkInRoute::Direction::NONE}},
                  true);
  zone->seal();
  for (int bytes = 0; bytes <= 1; ++bytes) {
    const std::string name = "m" + std::to_string(bytes);
    sg4::Actor::create("receiver" + name, b, [name, bytes] {
      auto* mailbox = sg4::Mailbox::by_name(name);
      mailbox->set_receiver(sg4::Actor::self());
      for (int i = 0; i < kMessages; ++i) {
        const auto* m = mailbox->get<Sent>();
        const double took = sg4::Engine::get_clock() - m->at;
        sum[bytes] += took;
        fastest[bytes] = std::min(fastest[bytes], took);
        delete m;
      }
    });
    sg4::Actor::create("sender" + name, a, [name, bytes] {
      auto* mailbox = sg4::Mailbox::by_name(name);
      for (int i = 0; i < kMessages; ++i) {
        mailbox->put_init(new Sent{sg4::Engine::get_clock()}, static_cast<std::uint64_t>(bytes))->detach();
        sg4::this_actor::sleep_for(kGap);
      }
    });
  }
  engine.run();
  for (int bytes = 0; bytes <= 1; ++bytes)
    std::printf("%d byte(s): mean %.3f ms, fastest %.3f ms (latency %.0f ms)\n", bytes, sum[bytes] / kMessages * 1000,
                fastest[bytes] * 1000, kLatency * 1000);
  const bool early = fastest[0] < kLatency * 0.999;
  std::printf("zero-byte messages %s\n", early ? "arrive early (SimGrid 3.32's behaviour; archsim sends at least one byte)"
                                               : "take the latency: this SimGrid no longer needs archsim's workaround");
  return fastest[1] >= kLatency * 0.999 ? 0 : 1;
}
