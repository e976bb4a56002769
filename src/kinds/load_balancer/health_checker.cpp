#include "kinds/load_balancer/health_checker.hpp"

#include <algorithm>
#include <cmath>

#include "components/service.hpp"
#include "components/run_context.hpp"
#include "components/service_replica.hpp"

namespace archsim {

HealthTracker::HealthTracker(int replicas, int unhealthy_threshold, int healthy_threshold)
    : unhealthy_threshold_(unhealthy_threshold),
      healthy_threshold_(healthy_threshold),
      healthy_(static_cast<std::size_t>(replicas), true),
      streak_(static_cast<std::size_t>(replicas), 0) {}

bool HealthTracker::record(int replica, bool ok) {
  const auto i = static_cast<std::size_t>(replica);
  if (ok == healthy_[i]) {
    streak_[i] = 0;
    return false;
  }
  if (++streak_[i] < (healthy_[i] ? unhealthy_threshold_ : healthy_threshold_)) return false;
  healthy_[i] = ok;
  ++version_;
  streak_[i] = 0;
  return true;
}

void HealthTracker::force(int replica, bool healthy) {
  if (healthy_[static_cast<std::size_t>(replica)] != healthy) ++version_;
  healthy_[static_cast<std::size_t>(replica)] = healthy;
  streak_[static_cast<std::size_t>(replica)] = 0;
}

HealthChecker::HealthChecker(RunContext& run, std::string name, const HealthCheckSpec& spec, Service& target,
                             std::function<void(int, bool)> on_change)
    : run_(run),
      name_(std::move(name)),
      spec_(spec),
      target_(target),
      on_change_(std::move(on_change)),
      tracker_(target.spec().max_replicas, spec.unhealthy_threshold, spec.healthy_threshold),
      inbox_(std::make_unique<Inbox>(sg4::Mailbox::by_name(name_))) {}

void HealthChecker::run() {
  inbox_->bind();
  const auto& replicas = target_.replicas();
  std::vector<std::uint64_t> ids(replicas.size());
  std::vector<bool> answered(replicas.size());
  // Probe rounds start on multiples of the interval, so restarts stay in phase.
  double next_round = std::ceil(sg4::Engine::get_clock() / spec_.interval_s) * spec_.interval_s;
  while (true) {
    sg4::this_actor::sleep_until(next_round);
    next_round += spec_.interval_s;
    const double deadline = sg4::Engine::get_clock() + spec_.timeout_s;
    std::size_t pending = 0;
    for (std::size_t r = 0; r < replicas.size(); ++r) {
      if (!replicas[r]->in_service()) {
        tracker_.force(static_cast<int>(r), false);
        answered[r] = true;
        continue;
      }
      ++pending;
      auto* probe = new Message;
      probe->id = ids[r] = run_.next_call_id();
      probe->endpoint = kProbeEndpoint;
      probe->reply_to = inbox_->mailbox();
      probe->reply_host = sg4::this_actor::get_host();
      probe->response_bytes = kControlBytes;
      probe->deadline = deadline;
      answered[r] = false;
      send_message(replicas[r]->address(), replicas[r]->host(), probe, kControlBytes);
    }
    while (pending > 0) {
      const double left = deadline - sg4::Engine::get_clock();
      if (left <= 0) break;
      Message* reply = inbox_->receive(left);
      if (!reply) break;
      for (std::size_t r = 0; r < replicas.size(); ++r) {
        if (!answered[r] && reply->id == ids[r]) {
          answered[r] = true;
          --pending;
          if (tracker_.record(static_cast<int>(r), reply->status == Outcome::Ok))
            on_change_(static_cast<int>(r), tracker_.healthy(static_cast<int>(r)));
        }
      }
      delete reply;
    }
    for (std::size_t r = 0; r < replicas.size(); ++r)
      if (!answered[r] && tracker_.record(static_cast<int>(r), false)) on_change_(static_cast<int>(r), false);
  }
}

}  // namespace archsim
