#include "components/service_replica.hpp"

#include <spdlog/spdlog.h>

#include "components/service.hpp"
#include "components/step_runner.hpp"
#include "engine/simulation.hpp"

namespace archsim {

namespace {
// Receives watched at once by an acceptor: enough that a long upload in progress does not
// hold back the short requests that arrive behind it.
constexpr int kAcceptorDepth = 8;
// A worker waits for one reply at a time, except in parallel steps.
constexpr int kWorkerReplyDepth = 4;
}  // namespace

ServiceReplica::ServiceReplica(Service& service, int index, const Platform::Machine& machine, Storage& storage)
    : service_(service),
      index_(index),
      name_(service.name() + "-" + std::to_string(index + 1)),
      machine_(machine),
      storage_(storage),
      inbox_(sg4::Mailbox::by_name(name_), kAcceptorDepth),
      work_(sg4::Semaphore::create(0)) {
  for (const PoolSpec& p : service.spec().pools) pools_.emplace_back(p.target, p.size, p.timeout_s);
}

ServiceReplica::~ServiceReplica() = default;

void ServiceReplica::start() {
  sg4::Actor::create(name_ + "/acceptor", machine_.host, [this] { accept_loop(); })->daemonize();
}

ConnectionPool* ServiceReplica::pool_for(int target_service) {
  for (auto& p : pools_)
    if (p.target() == target_service) return &p;
  return nullptr;
}

sg4::Mailbox* ServiceReplica::borrow_helper_mailbox() {
  if (helper_mailboxes_.empty())
    return sg4::Mailbox::by_name(name_ + "/helper-" + std::to_string(helper_mailboxes_created_++));
  sg4::Mailbox* mb = helper_mailboxes_.back();
  helper_mailboxes_.pop_back();
  return mb;
}

void ServiceReplica::return_helper_mailbox(sg4::Mailbox* mailbox) { helper_mailboxes_.push_back(mailbox); }

void ServiceReplica::accept_loop() {
  inbox_.bind();
  Simulation& sim = service_.sim();
  Recorder& recorder = sim.recorder();
  const ServiceSpec& spec = service_.spec();
  const int capacity = spec.workers + spec.queue_limit;
  const int service_index = service_.index();
  while (true) {
    Message* request = inbox_.receive(-1);
    const double now = sg4::Engine::get_clock();
    recorder.service_arrival(service_index, now);
    if (in_system_ >= capacity) {
      recorder.service_turned_away(service_index, now, now, Outcome::Rejected);
      reply_to_caller(request, Outcome::Rejected);
      continue;
    }
    ++in_system_;
    queue_.push_back({request, now});
    if (static_cast<int>(queue_.size()) > idle_workers_ && static_cast<int>(workers_.size()) < spec.workers)
      spawn_worker();
    work_->release();
  }
}

void ServiceReplica::spawn_worker() {
  const int index = static_cast<int>(workers_.size());
  spdlog::debug("{}: started worker {} ({} requests waiting)", name_, index + 1, queue_.size());
  auto* mailbox = sg4::Mailbox::by_name(name_ + "/worker-" + std::to_string(index));
  workers_.push_back(std::make_unique<Worker>(Worker{index, std::make_unique<Inbox>(mailbox, kWorkerReplyDepth)}));
  Worker* worker = workers_.back().get();
  sg4::Actor::create(name_ + "/worker-" + std::to_string(index), machine_.host, [this, worker] {
    work_loop(*worker);
  })->daemonize();
}

void ServiceReplica::work_loop(Worker& worker) {
  worker.replies->bind();
  Simulation& sim = service_.sim();
  Recorder& recorder = sim.recorder();
  const int service_index = service_.index();
  const ServiceSpec& spec = service_.spec();
  while (true) {
    ++idle_workers_;
    work_->acquire();
    --idle_workers_;
    const Waiting job = queue_.front();
    queue_.pop_front();
    recorder.service_started(service_index, job.arrived_at, sg4::Engine::get_clock());

    StepContext context{*this, *worker.replies, *job.request};
    const Outcome outcome = run_steps(context, spec.endpoints[static_cast<std::size_t>(job.request->endpoint)].steps);
    if (!context.forwarded) reply_to_caller(job.request, outcome);
    --in_system_;
    recorder.service_departed(service_index, job.arrived_at, sg4::Engine::get_clock(), outcome);
  }
}

}  // namespace archsim
