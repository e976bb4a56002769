// Transfers piling up on a link: when ten thousand are in flight at once, the inbox warns
// once (each start or end of one re-shares the link among all of them, so the run slows
// down), not at 9,999; every message still arrives.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include <simgrid/s4u.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "engine/inbox.hpp"
#include "engine/message.hpp"

namespace sg4 = simgrid::s4u;
using archsim::Message;

namespace {
int failures = 0;

void expect(const std::string& what, bool ok) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  failures += ok ? 0 : 1;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

int main(int argc, char** argv) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
  spdlog::set_default_logger(logger);

  sg4::Engine engine(&argc, argv);
  engine.set_config("network/model:CM02");
  engine.set_config("network/crosstraffic:0");
  auto* zone = sg4::create_star_zone("zone");
  sg4::Host* hosts[2];
  for (int i = 0; i < 2; ++i) {
    const std::string name = i == 0 ? "a" : "b";
    hosts[i] = zone->create_host(name, 1e9);
    auto* nic = zone->create_split_duplex_link(name + "-nic", 125e6);
    zone->add_route(hosts[i]->get_netpoint(), nullptr, nullptr, nullptr, {{nic, sg4::LinkInRoute::Direction::UP}},
                    true);
  }
  zone->seal();
  sg4::Host* a = hosts[0];
  sg4::Host* b = hosts[1];
  auto* to_b = sg4::Mailbox::by_name("b");
  archsim::Inbox inbox(to_b);

  // Round 1: 9,999 at once, received; round 2: 10,000 at once, received.
  constexpr int kRounds[] = {9999, 10000};
  std::string after_first;
  int received[2] = {0, 0};
  sg4::Actor::create("receiver", b, [&] {
    inbox.bind();
    for (int r = 0; r < 2; ++r) {
      for (int i = 0; i < kRounds[r]; ++i) {
        Message* m = inbox.receive(10);
        if (m == nullptr) break;
        ++received[r];
        delete m;
      }
      if (r == 0) after_first = log.str();
    }
  });
  sg4::Actor::create("sender", a, [&] {
    for (int r = 0; r < 2; ++r) {
      sg4::this_actor::sleep_for(1);  // the previous round is in
      for (int i = 0; i < kRounds[r]; ++i) {
        auto* m = new Message{};
        m->id = static_cast<std::uint64_t>(i + 1);
        archsim::send_message(to_b, b, m, 1000);
      }
    }
  });
  engine.run();

  expect("9,999 transfers in flight: no warning", count(after_first, "network transfers in flight") == 0);
  const std::string text = log.str();
  expect("10,000 transfers in flight: one warning", count(text, "network transfers in flight") == 1);
  expect("the warning says how many, and when", count(text, "10000 network transfers in flight at t = 2 s") == 1);
  expect("every message of both rounds arrived", received[0] == kRounds[0] && received[1] == kRounds[1]);
  archsim::Inbox::forget_all_transfers();
  std::printf("%s\n", failures == 0 ? "all passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
