#include "components/service_replica.hpp"

#include <algorithm>
#include <optional>
#include <spdlog/spdlog.h>

#include "components/service.hpp"
#include "components/service_runtime.hpp"
#include "components/storage.hpp"
#include "engine/daemon.hpp"
#include "engine/host_data.hpp"

namespace archsim {

namespace {

double now() { return sg4::Engine::get_clock(); }
}  // namespace

const char* to_string(ReplicaState state) {
  switch (state) {
    case ReplicaState::Up:
      return "up";
    case ReplicaState::Starting:
      return "starting";
    case ReplicaState::Crashed:
      return "crashed";
    case ReplicaState::HostDown:
      return "host_down";
    case ReplicaState::Parked:
      return "parked";
  }
  return "?";
}

ServiceReplica::ServiceReplica(Service& service, int index, const Platform::Machine& machine, Storage& storage)
    : service_workers_(service.spec().workers),
      admission_(service.spec().workers, service.spec().queue_limit),
      service_(service),
      machine_(machine),
      host_data_(HostData::of(machine.host)),
      inbox_(sg4::Mailbox::by_name(service.spec().replica_name(index))),
      index_(index),
      name_(inbox_.mailbox()->get_name()),
      storage_(storage),
      command_ready_(sg4::Semaphore::create(0)) {
  for (const PoolSpec& p : service.spec().pools) pools_.emplace_back(p.target, p.size, p.timeout_s);
  behavior_ = service.runtime().make_behavior(*this);
  if (service.run().tracer().enabled()) trace_track_ = service.run().tracer().track(name_);
}

void ServiceReplica::trace_begin(const Message& request, double t) {
  if (!request.traced || !trace_track_) return;
  service_.run().tracer().begin(trace_track_, request.id,
                                service_.name() + "." + service_.spec().endpoints[static_cast<std::size_t>(request.endpoint)].name, t);
}

void ServiceReplica::trace_end(std::uint64_t span, bool traced, double t, Outcome outcome) {
  if (traced && trace_track_) service_.run().tracer().end(trace_track_, span, t, outcome);
}

ServiceReplica::~ServiceReplica() {
  exec_watch::forget(this);
  for (Threadless& run : threadless_) delete run.request;
}

void ServiceReplica::set_state(ReplicaState state) {
  const ReplicaState old = state_;
  state_ = state;
  if (old != state) service_.replica_state_changed(*this, old, state);
  service_.membership_changed();
  if (state == ReplicaState::Up || state == ReplicaState::Parked) provisioning_ = false;
}

void ServiceReplica::spawn_daemons() {
  spawn_daemon(name_ + "/acceptor", machine_.host, [this] { accept_loop(); });
  spawn_daemon(name_ + "/supervisor", machine_.host, [this] { supervise(); });
  daemons_alive_ = true;
}

void ServiceReplica::start() {
  if (index_ >= service_.spec().replicas) {
    state_ = ReplicaState::Parked;  // parked from the start: components and counts begin "parked"
    return;
  }
  generation_ = 1;
  state_ = ReplicaState::Up;  // running from the start: components and counts begin "up"
  spawn_daemons();
  behavior_->on_start(*this);
}

void ServiceReplica::park() {
  if (state_ == ReplicaState::Parked || draining_) return;
  if (state_ == ReplicaState::Up || state_ == ReplicaState::Starting) {
    draining_ = true;
    service_.membership_changed();
    service_.run().recorder().timeline(now(), name_, "draining");
    if (admission_.in_system() == 0) {
      commands_.push_back(Command::Park);
      command_ready_->release();
    }
    return;
  }
  // Crashed or its host down: nothing runs, it leaves service at once.
  set_state(ReplicaState::Parked);
  service_.replica_parked(*this);
}

void ServiceReplica::unpark() {
  if (draining_) {
    draining_ = false;  // it was leaving: it stays
    service_.membership_changed();
    service_.run().recorder().timeline(now(), name_, "stays");
    return;
  }
  if (state_ != ReplicaState::Parked) return;
  service_.run().recorder().timeline(now(), name_, "activated");
  if (held_down_) {
    set_state(ReplicaState::Crashed);  // a crash holds it down: in service, and down
  } else {
    provisioning_ = true;
    state_ = ReplicaState::Crashed;  // not running yet: its start shows as "starting"
    service_.membership_changed();
  }
  if (!daemons_alive_) {
    inbox_.discard_all();  // what sat in the socket buffers of its switched-off host is gone
    spawn_daemons();
  }
  if (!held_down_) {
    commands_.push_back(Command::Start);
    command_ready_->release();
  }
}

void ServiceReplica::finish_parking() {
  draining_ = false;
  if (state_ == ReplicaState::Up || state_ == ReplicaState::Starting)
    stop_process(Outcome::Reset, ReplicaState::Parked);
  else
    set_state(ReplicaState::Parked);
  service_.replica_parked(*this);
}

ConnectionPool* ServiceReplica::pool_for(int target_service) {
  for (auto& p : pools_)
    if (p.target() == target_service) return &p;
  return nullptr;
}

sg4::ActorPtr ServiceReplica::spawn_helper(const std::string& name, std::function<void()> body) {
  ensure_room_for_actor(name_ + "/" + name);
  auto actor = sg4::Actor::create(name_ + "/" + name, machine_.host, [this, body = std::move(body)] {
    body();
    helpers_.erase(sg4::this_actor::get_pid());
  });
  helpers_[actor->get_pid()] = actor;
  return actor;
}

void ServiceReplica::spawn_auxiliary(const std::string& name, std::function<void()> body) {
  auxiliaries_.push_back(spawn_daemon(name_ + "/" + name, machine_.host, std::move(body)));
}

sg4::Mailbox* ServiceReplica::borrow_helper_mailbox() {
  if (helper_mailboxes_.empty())
    return sg4::Mailbox::by_name(name_ + "/helper-" + std::to_string(helper_mailboxes_created_++));
  sg4::Mailbox* mb = helper_mailboxes_.back();
  helper_mailboxes_.pop_back();
  return mb;
}

void ServiceReplica::return_helper_mailbox(sg4::Mailbox* mailbox) { helper_mailboxes_.push_back(mailbox); }

void ServiceReplica::answer_probe(Message* probe) {
  reply_to_caller(probe, up() ? Outcome::Ok : Outcome::Refused);
}

void ServiceReplica::accept_loop() {
  inbox_.bind();
  // A request admitted at once is queued by whoever delivers it (see Inbox::set_express).
  inbox_.set_express([this](Message* request) { return accept_at_once(request); });
  Recorder& recorder = service_.run().recorder();
  const int service_index = service_.index();
  // The executions it made ahead die with it (SimGrid cancels them): none may be handed
  // out afterwards, whatever ends it (a host crash, the end of the run).
  sg4::this_actor::on_exit([this](bool) {
    spare_execs_.clear();
    spare_execs_wanted_ = false;
  });
  refill_spare_execs();
  while (true) {
    // What the engine's context asked of it (see ask_acceptor): it may have been busy then,
    // or be asked again while it starts a worker.
    while (spare_execs_wanted_ || worker_wanted_) {
      if (spare_execs_wanted_) refill_spare_execs();
      if (worker_wanted_) {
        worker_wanted_ = false;
        slot_freed();
      }
    }
    Message* request = inbox_.receive(-1);
    if (request == nullptr) continue;  // woken by ask_acceptor
    if (request->endpoint == kProbeEndpoint) {
      answer_probe(request);
      continue;
    }
    if (behavior_->serves_aside(*request)) {
      if (up() && !draining_)
        behavior_->serve_aside(*this, request);
      else
        reply_to_caller(request, Outcome::Refused);
      continue;
    }
    const double t = now();
    recorder.service_arrival(service_index, t);
    trace_begin(*request, t);
    const Admission::Verdict verdict = admission_.decide(up() && !draining_);
    if (verdict != Admission::Verdict::Admit) {
      const Outcome outcome = verdict == Admission::Verdict::Refuse ? Outcome::Refused : Outcome::Rejected;
      recorder.service_turned_away(service_index, t, t, outcome);
      trace_end(request->id, request->traced, t, outcome);
      reply_to_caller(request, outcome);
      continue;
    }
    enqueue(request, t);
  }
}

bool ServiceReplica::accept_at_once(Message* request) {
  // Probes and requests turned away get a reply, which the acceptor sends from its host; a
  // request that needs a new worker is left to the acceptor too, which starts it from its
  // own thread (the deliverer may be the engine itself, which cannot stop at the thread
  // budget).
  if (request->endpoint == kProbeEndpoint || behavior_->serves_aside(*request) ||
      admission_.decide(up() && !draining_) != Admission::Verdict::Admit ||
      (!behavior_->threadless_steps(*request) &&
       admission_.needs_worker(waiting_for_thread_ + 1, idle_workers_, occupied())))
    return false;
  const double t = now();
  service_.run().recorder().service_arrival(service_.index(), t);
  trace_begin(*request, t);
  enqueue(request, t);
  return true;
}

void ServiceReplica::enqueue(Message* request, double t) {
  admission_.admitted();
  const std::vector<Step>* threadless = behavior_->threadless_steps(*request);
  if (threadless && queue_.empty() && slot_free() && !starting_threadless_) {
    // Nobody is ahead of it and a slot is free: it starts without passing through the
    // queue, whose next element is out of the processor's caches.
    start_threadless({request, t, threadless});
    return;
  }
  queue_.push_back({request, t, threadless});
  if (threadless) {
    start_threadless_at_head();
    return;
  }
  ++waiting_for_thread_;
  if (admission_.needs_worker(waiting_for_thread_, idle_workers_, occupied())) spawn_worker();
  if (!idle_.empty() && slot_free()) {
    // The worker that went idle last takes it: its stack is the likeliest still in the
    // processor's caches (waking idle workers in turn would cycle through all of them).
    Worker* worker = idle_.back();
    idle_.pop_back();
    worker->wake->release();
  }
}

void ServiceReplica::spawn_worker() {
  // Reuse the slot (and reply mailbox) of a worker that died with an earlier incarnation.
  Worker* worker = nullptr;
  for (auto& w : workers_)
    if (!w->actor) {
      worker = w.get();
      break;
    }
  if (!worker) {
    const int index = static_cast<int>(workers_.size());
    auto* mailbox = sg4::Mailbox::by_name(name_ + "/worker-" + std::to_string(index));
    auto worker_slot = std::make_unique<Worker>();
    worker_slot->index = index;
    worker_slot->replies = std::make_unique<Inbox>(mailbox);
    workers_.push_back(std::move(worker_slot));
    worker = workers_.back().get();
  }
  worker->wake = sg4::Semaphore::create(0);
  ++running_workers_;
  spdlog::debug("{}: started worker {} ({} requests waiting)", name_, worker->index + 1, queue_.size());
  worker->actor = spawn_daemon(name_ + "/worker-" + std::to_string(worker->index), machine_.host,
                               [this, worker] { work_loop(*worker); });
}

void ServiceReplica::work_loop(Worker& worker) {
  worker.replies->bind();
  Recorder& recorder = service_.run().recorder();
  const int service_index = service_.index();
  while (true) {
    start_threadless_at_head();
    if (queue_.empty() || !slot_free()) {
      ++idle_workers_;
      idle_.push_back(&worker);
      worker.wake->acquire();
      --idle_workers_;
      continue;  // another worker may have taken the request it was woken for
    }
    const Waiting job = queue_.front();
    queue_.pop_front();
    --waiting_for_thread_;
    ++busy_;
    start_threadless_at_head();  // those it was ahead of, while slots are free
    worker.current = job.request;
    worker.arrived_at = job.arrived_at;
    recorder.service_started(service_index, job.arrived_at, now());

    const std::uint64_t span = job.request->id;
    const bool traced = job.request->traced;
    StepContext context{*this, *worker.replies, *job.request};
    context.worker = worker.index;
    context.arrived_at = job.arrived_at;
    const Outcome outcome = behavior_->serve(context);
    if (context.relayed) continue;  // the relay ends the request; its slot stays taken
    const Outcome departure = context.forwarded ? Outcome::Ok : outcome;
    // Every account is settled before the request leaves: sending is a simulation call,
    // during which a crash may end this worker.
    Message* request = worker.current;
    worker.current = nullptr;
    --busy_;
    admission_.left();
    recorder.service_departed(service_index, job.arrived_at, now(), departure);
    trace_end(span, traced, now(), departure);
    if (!context.forwarded)
      reply_to_caller(request, outcome);
    else if (context.forward_to)
      send_message(context.forward_to->address(), context.forward_to->host(), request, context.forward_bytes);
    else
      reply_to_caller(request, Outcome::Unavailable);
    park_if_drained();  // parking kills this worker
  }
}

Inbox& ServiceReplica::relay_inbox() {
  if (!relay_inbox_) relay_inbox_ = std::make_unique<Inbox>(sg4::Mailbox::by_name(name_ + "/relay"));
  return *relay_inbox_;
}

void ServiceReplica::relay(StepContext& context, const OpenCall& call, int token) {
  Worker& worker = *workers_[static_cast<std::size_t>(context.worker)];
  relayed_.try_emplace(call.id, Relayed{worker.current, worker.arrived_at, call, token});
  worker.current = nullptr;
  context.relayed = true;
  // Deadlines come in order when the calls share a timeout; otherwise one is put in place.
  auto at = relay_deadlines_.end();
  while (at != relay_deadlines_.begin() && std::prev(at)->first > call.deadline) --at;
  relay_deadlines_.insert(at, {call.deadline, call.id});
  // The relay never waits longer than the shortest timeout it has seen, so a call made
  // while it waits is timed out on time; a shorter timeout than any before wakes it.
  const double timeout = call.deadline - call.sent_at;
  const bool shorter = timeout < relay_min_timeout_;
  if (shorter) relay_min_timeout_ = timeout;
  if (!relay_alive_) {
    relay_alive_ = true;
    spawn_auxiliary("relay", [this] { relay_loop(); });
  } else if (shorter) {
    relay_inbox_->wake();
  }
}

void ServiceReplica::relay_loop() {
  relay_inbox_->bind();
  while (true) {
    while (!relay_deadlines_.empty() && !relayed_.contains(relay_deadlines_.front().second))
      relay_deadlines_.pop_front();  // ended already
    const double wait =
        relay_deadlines_.empty()
            ? relay_min_timeout_
            : std::min(relay_min_timeout_, std::max(0.0, relay_deadlines_.front().first - now()));
    if (Message* reply = relay_inbox_->receive(wait)) {
      std::optional<Relayed> relayed = relayed_.take(reply->id);
      const Outcome status = reply->status;
      delete reply;
      if (relayed) end_relayed(std::move(*relayed), status);  // else a late reply to a call that timed out
      continue;
    }
    const double t = now();
    while (!relay_deadlines_.empty() && relay_deadlines_.front().first <= t) {
      std::optional<Relayed> relayed = relayed_.take(relay_deadlines_.front().second);
      relay_deadlines_.pop_front();
      if (relayed) end_relayed(std::move(*relayed), Outcome::Timeout);
    }
  }
}

void ServiceReplica::end_relayed(Relayed relayed, Outcome outcome) {
  close_call(*this, relayed.call, outcome);
  const Outcome result = behavior_->relayed_call_ended(relayed.token, outcome);
  // As a worker does: every account is settled before the reply leaves.
  --busy_;
  admission_.left();
  departed(*relayed.request, relayed.arrived_at, now(), result);
  reply_to_caller(relayed.request, result);
  slot_freed();
  park_if_drained();
}

void ServiceReplica::departed(const Message& request, double arrived_at, double t, Outcome outcome) {
  service_.run().recorder().service_departed(service_.index(), arrived_at, t, outcome);
  trace_end(request.id, request.traced, t, outcome);
}

void ServiceReplica::park_if_drained() {
  if (!draining_ || admission_.in_system() != 0) return;
  commands_.push_back(Command::Park);
  command_ready_->release();
}

void ServiceReplica::slot_freed() {
  start_threadless_at_head();
  if (queue_.empty() || queue_.front().threadless) return;  // none waits, or no slot is free
  if (!idle_.empty()) {
    Worker* worker = idle_.back();
    idle_.pop_back();
    worker->wake->release();
  } else if (admission_.needs_worker(waiting_for_thread_, idle_workers_, occupied())) {
    if (sg4::Actor::is_maestro()) {
      worker_wanted_ = true;  // the acceptor starts it: the engine's context cannot stop at the thread budget
      ask_acceptor();
    } else {
      spawn_worker();
    }
  }
}

void ServiceReplica::start_threadless_at_head() {
  // A request served at once frees its slot from within the loop: the loop goes on.
  if (starting_threadless_) return;
  starting_threadless_ = true;
  while (!queue_.empty() && queue_.front().threadless && slot_free()) {
    const Waiting job = queue_.front();
    queue_.pop_front();
    start_threadless(job);
  }
  starting_threadless_ = false;
}

void ServiceReplica::start_threadless(const Waiting& job) {
  // Served at once, it frees its slot from within go_on: what the loop of
  // start_threadless_at_head would take next waits until it is done.
  const bool nested = starting_threadless_;
  starting_threadless_ = true;
  ++busy_;
  service_.run().recorder().service_started(service_.index(), job.arrived_at, now());
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(threadless_.size());
    threadless_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Threadless& run = threadless_[slot];
  run.request = job.request;
  run.arrived_at = job.arrived_at;
  run.started = ++threadless_started_;
  run.run.reset(*job.threadless);
  go_on(slot);
  starting_threadless_ = nested;
  if (!nested) start_threadless_at_head();  // those that came meanwhile, while slots are free
}

void ServiceReplica::go_on(std::uint32_t slot) {
  Threadless& run = threadless_[slot];
  const double flops = run.run.next(*this);
  if (flops > 0) {
    run.flops = flops;
    run.exec = take_spare_exec();  // or none: one is made in the engine's context
    exec_watch::start(run.exec, machine_.host, flops, this, slot);
    return;
  }
  // Served: as a worker does, every account is settled before the reply leaves.
  Message* request = run.request;
  const double arrived_at = run.arrived_at;
  run.request = nullptr;
  free_slots_.push_back(slot);
  --busy_;
  admission_.left();
  departed(*request, arrived_at, now(), Outcome::Ok);
  reply_to_caller(request, Outcome::Ok, machine_.host);
  slot_freed();
  park_if_drained();
}

sg4::ExecPtr ServiceReplica::take_spare_exec() {
  if (spare_execs_.empty()) {
    // One made by whoever calls would be theirs (see refill_spare_execs), and may be a
    // foreign actor handing a request over: the engine makes it instead.
    if (!spare_execs_wanted_) {
      spare_execs_wanted_ = true;
      ask_acceptor();
    }
    return nullptr;
  }
  sg4::ExecPtr exec = std::move(spare_execs_.back());
  spare_execs_.pop_back();
  if (!spare_execs_wanted_ && spare_execs_.size() < spare_execs_target() / 2) {
    spare_execs_wanted_ = true;
    ask_acceptor();
  }
  return exec;
}

void ServiceReplica::refill_spare_execs() {
  spare_execs_wanted_ = false;
  exec_watch::make_on_own_host(spare_execs_, spare_execs_target());
}

void ServiceReplica::ask_acceptor() {
  if (daemons_alive_) inbox_.wake();
}

void ServiceReplica::exec_finished(std::uint64_t slot) {
  // Never stale: an execution cancelled (its request taken out) is not reported.
  Threadless& run = threadless_[slot];
  host_data_->cpu_flops += run.flops;
  run.exec = nullptr;
  go_on(static_cast<std::uint32_t>(slot));
}

std::vector<ServiceReplica::TakenOut> ServiceReplica::take_threadless() {
  std::vector<std::uint32_t> busy;
  for (std::uint32_t slot = 0; slot < threadless_.size(); ++slot)
    if (threadless_[slot].request) busy.push_back(slot);
  std::sort(busy.begin(), busy.end(),
            [this](std::uint32_t a, std::uint32_t b) { return threadless_[a].started < threadless_[b].started; });
  std::vector<TakenOut> taken;
  taken.reserve(busy.size());
  for (const std::uint32_t slot : busy) {
    Threadless& run = threadless_[slot];
    exec_watch::cancel(run.exec);
    taken.push_back({run.request, run.arrived_at});
    run.request = nullptr;
    free_slots_.push_back(slot);
  }
  return taken;
}

std::vector<ServiceReplica::Relayed> ServiceReplica::take_relayed() {
  std::vector<Relayed> calls;
  calls.reserve(relayed_.size());
  relayed_.for_each([&calls](std::uint64_t, const Relayed& relayed) { calls.push_back(relayed); });
  std::sort(calls.begin(), calls.end(), [](const Relayed& a, const Relayed& b) { return a.call.id < b.call.id; });
  relayed_.clear();
  relay_deadlines_.clear();
  for (Relayed& relayed : calls) relayed.call.target->service().call_closed(relayed.call.target->index());
  return calls;
}

void ServiceReplica::forget_process_state() {
  for (auto& w : workers_) w->actor = nullptr;
  helpers_.clear();
  auxiliaries_.clear();
  running_workers_ = 0;
  idle_workers_ = 0;
  busy_ = 0;
  relay_alive_ = false;
  idle_.clear();
  admission_.reset();
  for (auto& p : pools_) p.reset();
  behavior_->on_stop(*this);
}

void ServiceReplica::stop_process(Outcome in_flight_outcome, ReplicaState after) {
  // From the supervisor: the process dies, its kernel resets the connections it had.
  Recorder& recorder = service_.run().recorder();
  const int service_index = service_.index();
  set_state(after);
  // Each kill is a simulation call: while it is handled, actors not yet killed run on and
  // may finish (a helper erases itself) or start others (a worker spawns a helper). So the
  // victims are snapshotted, and the sweep repeats until it finds nobody new.
  std::vector<long> dead;
  std::vector<sg4::ActorPtr> victims;
  do {
    victims.clear();
    const auto doomed = [&](const sg4::ActorPtr& actor) {
      if (actor && std::find(dead.begin(), dead.end(), actor->get_pid()) == dead.end()) victims.push_back(actor);
    };
    for (auto& w : workers_) doomed(w->actor);
    for (auto& [pid, actor] : helpers_) doomed(actor);
    for (auto& actor : auxiliaries_) doomed(actor);
    for (auto& actor : victims) {
      dead.push_back(actor->get_pid());
      actor->kill();
    }
  } while (!victims.empty());
  storage_.forfeit(dead);
  const double t = now();
  for (auto& w : workers_) {
    if (!w->current) continue;
    departed(*w->current, w->arrived_at, t, in_flight_outcome);
    reply_to_caller(w->current, in_flight_outcome);
    w->current = nullptr;
  }
  for (const TakenOut& run : take_threadless()) {
    departed(*run.request, run.arrived_at, t, in_flight_outcome);
    reply_to_caller(run.request, in_flight_outcome);
  }
  for (const Relayed& relayed : take_relayed()) {
    departed(*relayed.request, relayed.arrived_at, t, in_flight_outcome);
    reply_to_caller(relayed.request, in_flight_outcome);
  }
  for (const Waiting& job : queue_) {
    recorder.service_turned_away(service_index, job.arrived_at, t, in_flight_outcome);
    trace_end(job.request->id, job.request->traced, t, in_flight_outcome);
    reply_to_caller(job.request, in_flight_outcome);
  }
  queue_.clear();
  waiting_for_thread_ = 0;
  forget_process_state();
}

void ServiceReplica::host_went_down() {
  // Every actor of the host is already dead; what they held is lost without an answer.
  Recorder& recorder = service_.run().recorder();
  const int service_index = service_.index();
  const double t = now();
  for (auto& w : workers_) {
    if (!w->current) continue;
    departed(*w->current, w->arrived_at, t, Outcome::Failed);
    delete w->current;
    w->current = nullptr;
  }
  for (const TakenOut& run : take_threadless()) {
    departed(*run.request, run.arrived_at, t, Outcome::Failed);
    delete run.request;
  }
  for (const Relayed& relayed : take_relayed()) {
    departed(*relayed.request, relayed.arrived_at, t, Outcome::Failed);
    delete relayed.request;
  }
  for (const Waiting& job : queue_) {
    recorder.service_turned_away(service_index, job.arrived_at, t, Outcome::Failed);
    trace_end(job.request->id, job.request->traced, t, Outcome::Failed);
    delete job.request;
  }
  queue_.clear();
  waiting_for_thread_ = 0;
  commands_.clear();
  command_ready_ = sg4::Semaphore::create(0);
  daemons_alive_ = false;
  spare_execs_.clear();  // the acceptor's: cancelled with it
  spare_execs_wanted_ = worker_wanted_ = false;
  relay_alive_ = false;
  if (state_ == ReplicaState::Parked) return;
  const bool was_running = state_ == ReplicaState::Up || state_ == ReplicaState::Starting;
  set_state(ReplicaState::HostDown);
  if (was_running) forget_process_state();
  if (draining_) {  // it was leaving service anyway
    draining_ = false;
    set_state(ReplicaState::Parked);
    service_.replica_parked(*this);
  }
}

void ServiceReplica::host_came_up() {
  // What sat in the socket buffers died with the host.
  inbox_.discard_all();
  if (relay_inbox_) relay_inbox_->discard_all();
  if (state_ == ReplicaState::Parked) return;  // it stays parked
  state_ = ReplicaState::Crashed;  // the process is not running yet (down before and after: no event)
  spawn_daemons();
  if (!held_down_) {
    commands_.push_back(Command::Start);
    command_ready_->release();
  }
}

void ServiceReplica::host_parked() {
  daemons_alive_ = false;
  spare_execs_.clear();  // the acceptor's: cancelled with it
  spare_execs_wanted_ = worker_wanted_ = false;
}

void ServiceReplica::hold_down(bool down) {
  held_down_ = down;
  // Applied when the host comes back, or when the replica comes into service.
  if (state_ == ReplicaState::HostDown || state_ == ReplicaState::Parked) return;
  commands_.push_back(down ? Command::Stop : Command::Start);
  command_ready_->release();
}

void ServiceReplica::supervise() {
  while (true) {
    command_ready_->acquire();
    const Command command = commands_.front();
    commands_.pop_front();
    if (command == Command::Stop) {
      if (state_ == ReplicaState::Up || state_ == ReplicaState::Starting)
        stop_process(Outcome::Reset, ReplicaState::Crashed);
      continue;
    }
    if (command == Command::Park) {
      if (draining_) finish_parking();
      continue;
    }
    if (state_ != ReplicaState::Crashed || held_down_) continue;
    // Start: the process boots for startup_s, during which connections are refused.
    set_state(ReplicaState::Starting);
    const double ready_at = now() + service_.spec().startup_s;
    bool stopped = false;
    bool park = false;
    while (now() < ready_at) {
      if (command_ready_->acquire_timeout(ready_at - now())) break;  // timed out: booted
      const Command next = commands_.front();
      commands_.pop_front();
      if (next == Command::Stop || (next == Command::Park && draining_)) {
        stopped = true;
        park = next == Command::Park;
        break;
      }
    }
    if (park) {
      finish_parking();
      continue;
    }
    if (stopped || held_down_) {
      set_state(ReplicaState::Crashed);
      continue;
    }
    ++generation_;
    set_state(ReplicaState::Up);
    behavior_->on_start(*this);
  }
}

}  // namespace archsim
