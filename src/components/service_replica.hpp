#pragma once
// One running copy of a service on a host: a thread-per-request server. An acceptor actor
// takes requests off the replica's inbox; when more requests wait than the configured
// `queue_limit` beyond its workers, an arrival is rejected at once (like a full accept
// backlog); otherwise it joins a FIFO queue served by up to `workers` worker actors
// (started on demand, kept idle afterwards; the one gone idle last is woken first). A worker runs the endpoint (through the
// service kind's behaviour) and sends the reply. Outgoing connection pools (one per target
// service) belong to the replica.
//
// A request whose steps need no thread (ReplicaBehavior::threadless_steps: they only
// compute) is served by the replica itself in the engine's context, without a worker
// actor: it takes a slot among the `workers` as a worker would, in the same FIFO order,
// and its computations are executions that the replica starts and is told the end of
// (ThreadlessRun, engine/exec_watch.hpp). A thousand replicas then cost no stacks for the
// requests they serve.
//
// A behaviour whose request ends with one call (a proxy) can leave the wait for its reply
// to the replica's relay (relay_call in step_runner.hpp), as an event-driven proxy does: the
// worker is free at once, while the call keeps the request's slot among the `workers` (so
// the queueing is the same as if the worker waited). One relay actor per replica, started
// with the first such call, takes the replies, times the calls out and ends the requests.
//
// Failures are simulated, not assumed:
//  - a process crash (the replica's supervisor kills its workers and helper actors): the
//    requests it was serving and those in its queue get "connection reset", new
//    connections are refused until it has restarted (startup_s);
//  - a host crash (SimGrid kills every actor of the host): in-flight and queued requests
//    vanish without an answer (their callers time out), transfers to and from the host
//    fail; when the host returns, the process starts again.
// The acceptor plays the host's TCP stack: it outlives a process crash and refuses
// connections (and health probes) while the process is not up.
#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <simgrid/s4u.hpp>

#include "components/admission.hpp"
#include "components/step_runner.hpp"
#include "core/flat_map.hpp"
#include "engine/exec_watch.hpp"
#include "engine/inbox.hpp"
#include "platform/platform.hpp"

namespace archsim {

class Service;
class Storage;
struct HostData;
class ReplicaBehavior;

// Parked: created but not in service (capacity the timeline may bring in, see scale).
enum class ReplicaState { Up, Starting, Crashed, HostDown, Parked };
const char* to_string(ReplicaState state);

// Connections from one replica to one target service; a call holds one for its duration.
class ConnectionPool {
 public:
  ConnectionPool(int target, int size, double timeout_s)
      : target_(target), size_(size), timeout_s_(timeout_s), slots_(sg4::Semaphore::create(static_cast<unsigned>(size))) {}
  int target() const { return target_; }
  // Waits for a free connection; false when none frees up within the pool's timeout.
  bool acquire() { return !slots_->acquire_timeout(timeout_s_); }
  void release() { slots_->release(); }
  // After the process died: its connections are gone with it.
  void reset() { slots_ = sg4::Semaphore::create(static_cast<unsigned>(size_)); }

 private:
  int target_;
  int size_;
  double timeout_s_;
  sg4::SemaphorePtr slots_;
};

class ServiceReplica : public ExecWatcher {
 public:
  ServiceReplica(Service& service, int index, const Platform::Machine& machine, Storage& storage);
  ~ServiceReplica() override;

  // At time 0: the host is up and the process running.
  void start();

  // Fault handling, from the fault injector's actor.
  void hold_down(bool down);  // a crash fault stops the process (true) or lets it restart (false)
  void host_went_down();      // the host was turned off: every actor of the host is dead
  void host_came_up();        // the host is back: the process starts again unless held down

  // Capacity, from the timeline's actor. park(): the replica leaves service at once (no new
  // request is routed to it, arrivals are refused), finishes the requests inside, then its
  // process stops and it is parked. unpark(): it comes (back) into service: the process
  // starts and boots for startup_s, unless a crash holds it down.
  void park();
  void unpark();
  // Its dedicated host is switched off while it is parked: its actors are gone.
  void host_parked();

  ReplicaState state() const { return state_; }
  bool up() const { return state_ == ReplicaState::Up; }
  bool parked() const { return state_ == ReplicaState::Parked; }
  bool draining() const { return draining_; }
  // Whether callers may route requests to it (not parked, not leaving service).
  bool in_service() const { return state_ != ReplicaState::Parked && !draining_; }
  // Brought into service and not up yet: booting counts as parked time, not downtime.
  bool provisioning() const { return provisioning_; }
  // Incarnation of the process, +1 at every start: state kept in memory dies with it.
  std::uint64_t generation() const { return generation_; }

  sg4::Mailbox* address() const { return inbox_.mailbox(); }
  const std::string& name() const { return name_; }
  int index() const { return index_; }
  Service& service() { return service_; }
  const Platform::Machine& machine() const { return machine_; }
  sg4::Host* host() const { return machine_.host; }
  Storage& storage() { return storage_; }
  // The pool for calls to `target_service`, or nullptr when calls to it are not pooled.
  ConnectionPool* pool_for(int target_service);

  // Helper actors of parallel steps and the behaviour's own actors (an applier, a health
  // checker) belong to the process and die with it.
  sg4::ActorPtr spawn_helper(const std::string& name, std::function<void()> body);
  void spawn_auxiliary(const std::string& name, std::function<void()> body);
  // The relay (see above): where replies to relayed calls arrive, and the hand-over of a
  // call from the worker serving `context` (just before the request leaves).
  Inbox& relay_inbox();
  void relay(StepContext& context, const OpenCall& call, int token);

  // A reply mailbox for a helper actor; give it back when done.
  sg4::Mailbox* borrow_helper_mailbox();
  void return_helper_mailbox(sg4::Mailbox* mailbox);

 private:
  struct Worker {
    int index = 0;
    std::unique_ptr<Inbox> replies;
    sg4::ActorPtr actor;
    sg4::SemaphorePtr wake;      // released to hand it work while it is idle
    Message* current = nullptr;  // the request it serves, owned until replied or forwarded
    double arrived_at = 0;
  };
  struct Waiting {
    Message* request;
    double arrived_at;
    const std::vector<Step>* threadless;  // its steps, when it is served without a thread
  };
  // A slot for a request served without a thread (reused: the slots freed last are the
  // likeliest still in the processor's caches).
  struct Threadless {
    Message* request = nullptr;  // nullptr: free
    double arrived_at = 0;
    std::uint64_t started = 0;   // its rank among the requests started so far
    ThreadlessRun run;
    sg4::ExecPtr exec;  // what it computes now
    double flops = 0;
  };
  // A request whose last call the relay awaits.
  struct Relayed {
    Message* request = nullptr;
    double arrived_at = 0;
    OpenCall call;
    int token = 0;
  };
  enum class Command { Stop, Start, Park };

  void accept_loop();
  // A request delivered while the acceptor waits: queued at once if admitted (true).
  bool accept_at_once(Message* request);
  void enqueue(Message* request, double t);
  void answer_probe(Message* probe);
  void work_loop(Worker& worker);
  // Whether a worker may take a request from the queue: relayed calls keep their slots.
  bool slot_free() const { return busy_ < service_workers_; }
  void relay_loop();
  // The relayed call `relayed`, taken out of relayed_, ended with `outcome` (Timeout: its
  // deadline passed).
  void end_relayed(Relayed relayed, Outcome outcome);
  // A request that was in service left with `outcome` at `t`: its figures and its span.
  void departed(const Message& request, double arrived_at, double t, Outcome outcome);
  // The last request of a replica leaving service has left: the supervisor parks it.
  void park_if_drained();
  // A slot came free while requests wait: an idle worker takes one, or a new one starts.
  void slot_freed();
  // Starts the requests at the head of the queue that need no thread, while slots are free.
  void start_threadless_at_head();
  // Starts `job`, which needs no thread, in a free slot.
  void start_threadless(const Waiting& job);
  // Its next computation, or its reply once none is left.
  void go_on(std::uint32_t slot);
  void exec_finished(std::uint64_t slot) override;
  // The threadless requests in progress, in the order they started, taken out (their
  // computations cancelled, their slots freed).
  struct TakenOut {
    Message* request;
    double arrived_at;
  };
  std::vector<TakenOut> take_threadless();
  // An execution to start from the engine's context. SimGrid 3.32 files every execution
  // under the actor that creates it and, when it ends, removes it from that actor's list
  // of activities by a scan of the whole list: the engine's own list would hold every
  // execution in flight of the whole fleet. So the acceptor creates them ahead, and its
  // list holds this replica's alone. (It outlives a process crash; when it dies with the
  // host, the executions it created are cancelled, as they would fail anyway.)
  sg4::ExecPtr take_spare_exec();
  void refill_spare_execs();  // from the acceptor
  // A few: the list is scanned at the end of each of its executions, and a refill costs the
  // acceptor one wake-up per half of it.
  std::size_t spare_execs_target() const { return static_cast<std::size_t>(std::min(service_workers_, 4)); }
  // Wakes the acceptor to do what the engine's context cannot (spare_execs_wanted_,
  // worker_wanted_).
  void ask_acceptor();
  // Workers alive plus relayed calls: what decides whether another worker may start.
  int occupied() const { return running_workers_ + static_cast<int>(relayed_.size()); }
  // The relayed calls, in the order they were made, closed and taken out (the process died).
  std::vector<Relayed> take_relayed();
  void spawn_worker();
  void supervise();
  // Kills the process's actors; the requests inside end with `in_flight_outcome`.
  void stop_process(Outcome in_flight_outcome, ReplicaState after);
  void spawn_daemons();
  void finish_parking();
  void set_state(ReplicaState state);
  void forget_process_state();
  void trace_begin(const Message& request, double t);
  void trace_end(std::uint64_t span, bool traced, double t, Outcome outcome);

  // What a request touches on its way through comes first, together: in a fleet a replica
  // is out of the processor's caches whenever its next request comes, and each cache line
  // of it costs a miss (see docs/architecture.md, "Fields in the order a request reads
  // them").
  ReplicaState state_ = ReplicaState::HostDown;
  bool draining_ = false;
  bool daemons_alive_ = false;  // the acceptor and the supervisor
  bool starting_threadless_ = false;
  bool spare_execs_wanted_ = false;
  bool worker_wanted_ = false;
  bool held_down_ = false;
  bool provisioning_ = false;
  int waiting_for_thread_ = 0;  // requests in queue_ that a worker must serve
  int busy_ = 0;                // requests being served by a worker or awaited by the relay
  int service_workers_ = 0;     // the configured workers: the most requests served at once
  int trace_track_ = 0;         // 0: requests are not traced
  Admission admission_;
  Service& service_;
  const Platform::Machine& machine_;
  HostData* host_data_;  // its host's
  std::unique_ptr<ReplicaBehavior> behavior_;
  std::uint64_t threadless_started_ = 0;
  std::vector<std::uint32_t> free_slots_;  // free ones of threadless_, the last freed at the back
  std::vector<sg4::ExecPtr> spare_execs_;
  std::deque<Waiting> queue_;
  std::deque<Threadless> threadless_;  // slots (a deque keeps them in place as it grows)
  Inbox inbox_;

  int index_;
  std::string name_;
  Storage& storage_;
  std::uint64_t generation_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;  // idle workers not yet woken, the last gone idle at the back
  int running_workers_ = 0;
  int idle_workers_ = 0;  // idle workers, woken or not, that have not yet looked at the queue
  std::vector<ConnectionPool> pools_;
  std::unordered_map<long, sg4::ActorPtr> helpers_;  // by actor id
  std::vector<sg4::ActorPtr> auxiliaries_;
  std::vector<sg4::Mailbox*> helper_mailboxes_;
  int helper_mailboxes_created_ = 0;

  std::unique_ptr<Inbox> relay_inbox_;
  bool relay_alive_ = false;
  double relay_min_timeout_ = std::numeric_limits<double>::infinity();  // of the calls relayed so far
  FlatMap<std::uint64_t, Relayed> relayed_;  // by call id
  std::deque<std::pair<double, std::uint64_t>> relay_deadlines_;  // by deadline; ended calls are skipped

  std::deque<Command> commands_;
  sg4::SemaphorePtr command_ready_;
};

}  // namespace archsim
