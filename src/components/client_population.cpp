#include "components/client_population.hpp"

#include <algorithm>
#include <cmath>

#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/simulation.hpp"

namespace archsim {

namespace {
constexpr int kClientInboxDepth = 16;

std::vector<double> weights_of(const ClientSpec& spec) {
  std::vector<double> w;
  for (const auto& op : spec.operations) w.push_back(op.weight);
  return w;
}
}  // namespace

ClientPopulation::ClientPopulation(Simulation& sim, const ClientSpec& spec, int first_operation, sg4::Host* host)
    : sim_(sim),
      spec_(spec),
      first_operation_(first_operation),
      host_(host),
      rng_(sim.scenario().seed, "clients/" + spec.name),
      mix_(weights_of(spec)),
      arrivals_(spec.rate_rps, spec.schedule, spec.linear_schedule),
      inbox_(sg4::Mailbox::by_name("clients-" + spec.name), kClientInboxDepth) {}

void ClientPopulation::start() {
  // Not a daemon: the simulation lasts as long as the clients (the engine stops at the end).
  sg4::Actor::create("clients-" + spec_.name, host_, [this] { main_loop(); });
}

std::vector<std::uint64_t> ClientPopulation::in_flight_measured_by_operation() const {
  std::vector<std::uint64_t> counts(spec_.operations.size(), 0);
  for (const auto& [id, p] : pending_)
    if (sim_.recorder().measured(p.sent_at)) counts[static_cast<std::size_t>(p.op)]++;
  return counts;
}

void ClientPopulation::send_request(int user) {
  Service& target = sim_.service(spec_.target);
  const auto op = static_cast<int>(mix_.pick(rng_));
  const OperationSpec& operation = spec_.operations[static_cast<std::size_t>(op)];
  const double now = sg4::Engine::get_clock();
  const std::uint64_t id = sim_.next_call_id();
  pending_.emplace(id, Pending{op, user, now});
  sim_.recorder().request_sent(first_operation_ + op, now);
  timers_.push({now + spec_.timeout_s, TimerKind::Deadline, id});

  ServiceReplica* replica = target.pick_replica();
  if (!replica) {
    end_request(id, Outcome::Unavailable);
    return;
  }
  auto* message = new Message;
  message->id = id;
  message->reply_to = inbox_.mailbox();
  message->reply_host = host_;
  message->endpoint = operation.endpoint;
  message->op = first_operation_ + op;
  message->response_bytes = operation.response_bytes;
  send_message(replica->address(), replica->machine().host, message, operation.request_bytes);
}

void ClientPopulation::end_request(std::uint64_t id, Outcome outcome) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // already ended: a late reply or a stale deadline
  const Pending p = it->second;
  pending_.erase(it);
  const double now = sg4::Engine::get_clock();
  sim_.recorder().request_ended(first_operation_ + p.op, p.sent_at, now, outcome);
  if (p.user >= 0)
    timers_.push({now + spec_.think_ms.sample(rng_) / 1000.0, TimerKind::UserWakes, static_cast<std::uint64_t>(p.user)});
}

void ClientPopulation::handle_timer(const Timer& timer) {
  switch (timer.kind) {
    case TimerKind::Deadline:
      end_request(timer.id, Outcome::Timeout);
      break;
    case TimerKind::UserWakes:
      send_request(static_cast<int>(timer.id));
      break;
  }
}

void ClientPopulation::main_loop() {
  inbox_.bind();
  if (spec_.model == ClientModel::Open) {
    next_arrival_ = arrivals_.next(0.0, rng_);
  } else {
    // Users start at random points of one think time, so they do not all fire at t = 0.
    for (int u = 0; u < spec_.users; ++u)
      timers_.push({spec_.think_ms.sample(rng_) / 1000.0 * rng_.uniform01(), TimerKind::UserWakes,
                    static_cast<std::uint64_t>(u)});
  }
  while (true) {
    double now = sg4::Engine::get_clock();
    const double next_timer = timers_.empty() ? std::numeric_limits<double>::infinity() : timers_.top().at;
    const double next_event = std::min(next_arrival_, next_timer);
    if (next_event > now) {
      // Wait for a reply or the next event; the engine itself stops at the end of the run.
      Message* reply = inbox_.receive(std::isinf(next_event) ? -1.0 : next_event - now);
      if (reply) {
        const std::uint64_t id = reply->id;
        const Outcome outcome = reply->status;
        delete reply;
        end_request(id, outcome);
        continue;
      }
      now = sg4::Engine::get_clock();
    }
    // Fire everything due now, arrivals before timers at equal times.
    if (next_arrival_ <= now) {
      send_request(-1);
      next_arrival_ = arrivals_.next(now, rng_);
      continue;
    }
    while (!timers_.empty() && timers_.top().at <= now) {
      const Timer t = timers_.top();
      timers_.pop();
      handle_timer(t);
    }
  }
}

}  // namespace archsim
