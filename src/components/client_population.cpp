#include "components/client_population.hpp"

#include "engine/actor_budget.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "components/service.hpp"
#include "components/run_context.hpp"
#include "core/interrupt.hpp"
#include "components/service_replica.hpp"

namespace archsim {

namespace {

std::vector<double> weights_of(const ClientSpec& spec) {
  // A replayed log picks no operation: its mix (the log's shares) is not drawn from.
  if (spec.replay) return std::vector<double>(spec.operations.size(), 1.0);
  std::vector<double> w;
  for (const auto& op : spec.operations) w.push_back(op.weight);
  return w;
}

double now() { return sg4::Engine::get_clock(); }
}  // namespace

ClientPopulation::ClientPopulation(RunContext& run, const ClientSpec& spec, int first_operation, sg4::Host* host)
    : run_(run),
      spec_(spec),
      first_operation_(first_operation),
      host_(host),
      rng_(run.random_stream("clients/" + spec.name)),
      mix_(weights_of(spec)),
      arrivals_(spec.rate_rps, spec.schedule, spec.linear_schedule),
      keys_(spec.keys.count, spec.keys.zipf_s),
      retry_(spec.retry),
      inbox_(sg4::Mailbox::by_name("clients-" + spec.name)) {
  if (spec.replay) log_ = std::make_unique<AccessLog>(*spec.replay, spec.operations);
  const std::uint64_t sessions =
      spec.model == ClientModel::Closed ? static_cast<std::uint64_t>(spec.users) : spec.sessions.active;
  sessions_.resize(sessions);
  for (auto& s : sessions_) s = next_session();
  if (run.tracer().enabled()) trace_track_ = run.tracer().track("clients " + spec.name, 0);
}

std::uint64_t ClientPopulation::next_session() {
  // Session ids are unique across populations: the population's index in the high bits.
  return (static_cast<std::uint64_t>(first_operation_) << 48) | ++last_session_;
}

void ClientPopulation::start(std::function<void()> done) {
  // Not a daemon: the simulation lasts as long as the clients.
  ensure_room_for_actor("clients-" + spec_.name);
  sg4::Actor::create("clients-" + spec_.name, host_, [this, done = std::move(done)] {
    main_loop();
    done();
  });
}

std::vector<std::uint64_t> ClientPopulation::in_flight_measured_by_operation() const {
  std::vector<std::uint64_t> counts(spec_.operations.size(), 0);
  for (const auto* table : {&pending_, &backing_off_})
    table->for_each([&](std::uint64_t, const Pending& p) {
      if (run_.recorder().measured(p.first_sent_at)) counts[static_cast<std::size_t>(p.op)]++;
    });
  return counts;
}

nlohmann::ordered_json ClientPopulation::report() const {
  nlohmann::ordered_json j;
  j["attempts"] = attempts_;
  j["retries"] = retries_;
  j["retries_denied_by_budget"] = retries_denied_;
  return j;
}

void ClientPopulation::new_request(int user) {
  Pending p;
  if (log_) {
    p.op = logged_.op;
    p.key = logged_.key;
    p.response_bytes = logged_.response_bytes;
  } else {
    p.op = static_cast<int>(mix_.pick(rng_));
    p.key = spec_.keys.first + keys_.sample(rng_);
  }
  p.user = user;
  p.first_sent_at = now();
  p.attempt = 1;
  const std::size_t slot = user >= 0 ? static_cast<std::size_t>(user) : rng_.below(sessions_.size());
  p.session = sessions_[slot];
  p.session_ends = rng_.uniform01() * spec_.sessions.mean_requests < 1.0;
  if (p.session_ends) sessions_[slot] = next_session();
  run_.recorder().request_sent(first_operation_ + p.op, p.first_sent_at);
  if (trace_track_ && run_.tracer().samples(requests_)) {
    p.trace_span = run_.next_call_id();
    run_.tracer().begin(trace_track_, p.trace_span, spec_.operations[static_cast<std::size_t>(p.op)].name, p.first_sent_at);
  }
  ++requests_;
  retry_.on_first_attempt();
  send_attempt(p);
}

void ClientPopulation::send_attempt(Pending p) {
  const OperationSpec& operation = spec_.operations[static_cast<std::size_t>(p.op)];
  const double t = now();
  const std::uint64_t id = run_.next_call_id();
  const bool measured = run_.recorder().measured(p.first_sent_at);
  run_.recorder().attempt_sent(t);
  if (measured) {
    ++attempts_;
    if (p.attempt > 1) ++retries_;
  }
  auto message = std::make_unique<Message>();
  message->id = id;
  message->reply_to = inbox_.mailbox();
  message->reply_host = host_;
  message->endpoint = operation.endpoint;
  message->op = first_operation_ + p.op;
  message->key = p.key;
  message->session = p.session;
  message->session_ends = p.session_ends;
  message->traced = p.trace_span != 0;
  message->request_bytes = operation.request_bytes;
  message->response_bytes = p.response_bytes >= 0 ? p.response_bytes : operation.response_bytes;
  message->deadline = t + spec_.timeout_s;
  message->flow_start = p.first_sent_at;
  message->flow_host = host_;
  // A write goes where the target takes writes (a replicated database's primary).
  Service& target = run_.service(spec_.target);
  const bool write = target.spec().endpoints[static_cast<std::size_t>(operation.endpoint)].write;
  ServiceReplica* replica = target.route(*message, write, p.last_replica);
  if (replica) p.last_replica = replica->index();
  pending_.try_emplace(id, p);
  timers_.push_in_order({t + spec_.timeout_s, TimerKind::Deadline, id});  // one timeout: set in firing order
  if (!replica) {
    attempt_ended(id, Outcome::Unavailable);
    return;
  }
  send_message(replica->address(), replica->host(), message.release(), operation.request_bytes);
}

void ClientPopulation::settle(Message* reply) {
  if (run_.recorder().measured(now()))
    reply_bytes_ += reply->status == Outcome::Ok ? reply->response_bytes : kErrorReplyBytes;
  const std::uint64_t id = reply->id;
  const Outcome outcome = reply->status;
  delete reply;
  attempt_ended(id, outcome);
}

void ClientPopulation::attempt_ended(std::uint64_t id, Outcome outcome) {
  const std::optional<Pending> taken = pending_.take(id);
  if (!taken) return;  // already ended: a late reply or a stale deadline
  const Pending& p = *taken;
  const std::uint64_t denied_before = retry_.denied_by_budget();
  if (retry_.may_retry(p.attempt, outcome)) {
    Pending next = p;
    ++next.attempt;
    const std::uint64_t token = run_.next_call_id();
    backing_off_.try_emplace(token, next);
    timers_.push({now() + retry_.backoff(p.attempt, rng_), TimerKind::Retry, token});
    return;
  }
  if (retry_.denied_by_budget() > denied_before && run_.recorder().measured(p.first_sent_at)) ++retries_denied_;
  end_request(p, outcome);
}

void ClientPopulation::end_request(const Pending& p, Outcome outcome) {
  const double t = now();
  if (p.trace_span) run_.tracer().end(trace_track_, p.trace_span, t, outcome);
  run_.recorder().request_ended(first_operation_ + p.op, p.first_sent_at, t, outcome);
  if (p.user >= 0)
    timers_.push({t + spec_.think_ms.sample(rng_) / 1000.0, TimerKind::UserWakes, static_cast<std::uint64_t>(p.user)});
}

void ClientPopulation::handle_timer(const Timer& timer) {
  switch (timer.kind) {
    case TimerKind::Deadline:
      attempt_ended(timer.id, Outcome::Timeout);
      break;
    case TimerKind::UserWakes:
      if (run_.recorder().before_end(timer.at)) new_request(static_cast<int>(timer.id));
      break;
    case TimerKind::Retry: {
      send_attempt(*backing_off_.take(timer.id));
      break;
    }
  }
}

double ClientPopulation::next_logged() {
  if (!log_->next(logged_)) return std::numeric_limits<double>::infinity();
  return run_.recorder().before_end(logged_.at_s) ? logged_.at_s : std::numeric_limits<double>::infinity();
}

double ClientPopulation::next_arrival_after(double t) {
  // No arrival after the measured period: what is in flight then drains.
  const double next = arrivals_.next(t, rng_);
  return run_.recorder().before_end(next) ? next : std::numeric_limits<double>::infinity();
}

void ClientPopulation::main_loop() {
  inbox_.bind();
  // A reply that comes while the loop waits is settled by whoever delivers it (one wake-up
  // less per request); the loop is woken only if that moved its next event earlier.
  inbox_.set_express([this](Message* reply) {
    if (interrupted()) return false;
    settle(reply);
    const bool done = now() >= run_.recorder().end_s() && pending_.empty() && backing_off_.empty();
    if (done || (!timers_.empty() && timers_.top().at < waiting_until_)) inbox_.wake();
    return true;
  });
  const double end = run_.recorder().end_s();
  if (spec_.model == ClientModel::Replay) {
    next_arrival_ = next_logged();
  } else if (spec_.model == ClientModel::Open) {
    next_arrival_ = next_arrival_after(0.0);
  } else {
    // Users start at random points of one think time, so they do not all fire at t = 0.
    for (int u = 0; u < spec_.users; ++u)
      timers_.push({spec_.think_ms.sample(rng_) / 1000.0 * rng_.uniform01(), TimerKind::UserWakes,
                    static_cast<std::uint64_t>(u)});
  }
  while (true) {
    double t = now();
    // After the measured period, the population is done once its last request settled
    // (the simulation ends when every population is).
    if (t >= end && pending_.empty() && backing_off_.empty()) return;
    if (interrupted()) return;  // Ctrl-C: stop at once (checked here, where an overloaded run spends its time)
    const double next_timer = timers_.empty() ? std::numeric_limits<double>::infinity() : timers_.top().at;
    // Before the end, wake at the end at the latest (an idle population then stops).
    const double next_event = std::min({next_arrival_, next_timer, t < end ? end : std::numeric_limits<double>::infinity()});
    if (next_event > t) {
      // Wait for a reply or the next event.
      waiting_until_ = next_event;
      Message* reply = inbox_.receive(std::isinf(next_event) ? -1.0 : next_event - t);
      if (reply) {
        settle(reply);
        continue;
      }
      t = now();
    }
    // Fire everything due now, arrivals before timers at equal times.
    if (next_arrival_ <= t) {
      new_request(-1);
      next_arrival_ = log_ ? next_logged() : next_arrival_after(t);
      continue;
    }
    while (!timers_.empty() && timers_.top().at <= t) {
      const Timer timer = timers_.top();
      timers_.pop();
      handle_timer(timer);
    }
  }
}

}  // namespace archsim
