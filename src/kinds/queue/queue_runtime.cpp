#include "kinds/queue/queue_runtime.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "components/storage.hpp"
#include "engine/host_data.hpp"
#include "kinds/consumer/consumer_kind.hpp"
#include "kinds/load_balancer/balancing_policy.hpp"

namespace archsim::kinds::queue {

namespace {

double now() { return sg4::Engine::get_clock(); }
constexpr double kNever = std::numeric_limits<double>::infinity();
// How long a leader waits for a follower before leaving it out of sync (Kafka's
// replica.lag.time.max.ms is 30 s; a follower that does not answer in 10 s is gone).
constexpr double kReplicaTimeoutS = 10.0;
// How long a leader with a follower to catch up waits for publishes before it sends anyway.
constexpr double kCatchUpS = 0.1;

class BrokerBehavior : public ReplicaBehavior {
 public:
  explicit BrokerBehavior(QueueRuntime& queue) : queue_(queue) {}
  Outcome serve(StepContext& context) override { return queue_.serve(context); }
  void on_start(ServiceReplica& replica) override { queue_.started(replica); }
  void on_stop(ServiceReplica& replica) override { queue_.stopped(replica); }
  // A follower's appends go to its fetcher, not to the broker threads: a publish holds its
  // thread while it waits for its followers (acks all), and two brokers whose threads all
  // wait for each other's appends would wait for ever.
  bool serves_aside(const Message& request) const override { return request.endpoint == kReplicate; }
  void serve_aside(ServiceReplica& replica, Message* request) override { queue_.fetch(replica, request); }

 private:
  QueueRuntime& queue_;
};

// Deliveries are numbered per group: a group's number and a delivery's make one key.
std::uint64_t delivery_key(int group, std::uint64_t token) { return (static_cast<std::uint64_t>(group) << 48) | token; }

std::uint64_t share_of(std::uint64_t now_count, std::uint64_t at_warmup) { return now_count - at_warmup; }

}  // namespace

QueueRuntime::QueueRuntime(RunContext& run, Service& service)
    : run_(run), service_(service), options_(queue_options(service.spec())) {
  for (const TopicSpec& topic : options_.topics) {
    partition_base_.push_back(partitions_);
    partitions_ += topic.partitions;
  }
  topic_depth_.assign(options_.topics.size(), 0);
  topic_counts_.resize(options_.topics.size());
  topic_published_.assign(options_.topics.size(), 0);
  groups_of_topic_.resize(options_.topics.size());
  const auto replicas = static_cast<std::size_t>(service.spec().max_replicas);
  unsafe_.resize(replicas);
  logs_.resize(replicas);
  replication_.resize(replicas);
  dispatchers_.resize(replicas);
  for (std::size_t r = 0; r < replicas; ++r) {
    const std::string name = service.spec().replica_name(static_cast<int>(r));
    dispatchers_[r].inbox = std::make_unique<Inbox>(sg4::Mailbox::by_name(name + "/dispatch"));
    replication_[r].replies = std::make_unique<Inbox>(sg4::Mailbox::by_name(name + "/replicate"));
    fetches_.push_back(std::make_unique<Inbox>(sg4::Mailbox::by_name(name + "/fetch")));
  }
  const Scenario& scenario = run.scenario();
  const int self = service.index();
  for (std::size_t s = 0; s < scenario.services.size(); ++s) {
    const ServiceSpec& spec = scenario.services[s];
    if (spec.kind != consumer::consumer_kind()) continue;
    const auto& c = consumer::consumer_options(spec);
    if (c.queue != self) continue;
    Group group;
    group.service = static_cast<int>(s);
    group.topic = c.topic;
    group.per_key = c.per_key;
    group.ack_before = c.ack_before;
    GroupQueue::Config config;
    config.partitions = options_.topics[static_cast<std::size_t>(c.topic)].partitions;
    config.per_key = c.per_key;
    config.max_deliveries = c.max_deliveries;
    config.visibility_s = c.visibility_timeout_s;
    config.backoff_s = c.backoff_s;
    config.multiplier = c.backoff_multiplier;
    config.max_backoff_s = c.max_backoff_s;
    group.queue = std::make_unique<GroupQueue>(config);
    group.members.resize(static_cast<std::size_t>(spec.max_replicas));
    groups_of_topic_[static_cast<std::size_t>(c.topic)].push_back(static_cast<int>(groups_.size()));
    groups_.push_back(std::move(group));
  }
  Gauges& gauges = run.recorder().gauges();
  for (std::size_t t = 0; t < options_.topics.size(); ++t)
    gauges.counter("mq_published:" + service.name() + "." + options_.topics[t].name,
                   [this, t] { return static_cast<double>(topic_published_[t]); });
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string name = scenario.services[static_cast<std::size_t>(groups_[g].service)].name;
    gauges.counter("mq_acked:" + name, [this, g] { return static_cast<double>(groups_[g].queue->counts().acknowledged); });
    gauges.level("mq_depth:" + name, [this, g] {
      return static_cast<double>(groups_[g].queue->waiting() + groups_[g].queue->in_flight());
    });
    gauges.level("mq_lag_s:" + name, [this, g] {
      const auto oldest = groups_[g].queue->oldest_published();
      return oldest ? now() - *oldest : 0.0;
    });
  }
}

QueueRuntime::~QueueRuntime() = default;

std::unique_ptr<ReplicaBehavior> QueueRuntime::make_behavior(ServiceReplica&) {
  return std::make_unique<BrokerBehavior>(*this);
}

void QueueRuntime::start() {}

int QueueRuntime::partition_for(int topic, std::uint64_t key) const {
  const auto count = static_cast<std::uint64_t>(options_.topics[static_cast<std::size_t>(topic)].partitions);
  return partition_base_[static_cast<std::size_t>(topic)] + static_cast<int>(mix_hash(key) % count);
}

ServiceReplica* QueueRuntime::leader(int partition) {
  const auto& replicas = service_.replicas();
  const int n = static_cast<int>(replicas.size());
  for (int i = 0; i < options_.replication_factor; ++i) {
    ServiceReplica* r = replicas[static_cast<std::size_t>((first_replica(partition, n) + i) % n)].get();
    if (r->up()) return r;
  }
  return nullptr;
}

std::vector<int> QueueRuntime::followers(int partition, int leader) const {
  const int n = static_cast<int>(service_.replicas().size());
  std::vector<int> out;
  for (int i = 0; i < options_.replication_factor; ++i) {
    const int r = (first_replica(partition, n) + i) % n;
    if (r != leader) out.push_back(r);
  }
  return out;
}

void QueueRuntime::compute(ServiceReplica& replica, double seconds) {
  if (seconds <= 0) return;
  const double flops = seconds * Platform::kReferenceFlops;
  sg4::this_actor::execute(flops);
  HostData::of(replica.host())->cpu_flops += flops;
}

Outcome QueueRuntime::serve(StepContext& context) {
  ServiceReplica& replica = context.replica;
  Message& m = context.request;
  // From its arrival at the broker: the wait for a broker thread counts.
  const double arrived = context.arrived_at >= 0 ? context.arrived_at : now();
  compute(replica, options_.op_cpu_s);
  if (m.endpoint < kFirstTopic) return Outcome::Failed;  // appends are fetch()'s
  const int topic = m.endpoint - kFirstTopic;
  const int partition = static_cast<int>(m.item);
  if (leader(partition) != &replica) return Outcome::Unavailable;  // it lost the lead meanwhile
  const TopicSpec& spec = options_.topics[static_cast<std::size_t>(topic)];
  const auto t_index = static_cast<std::size_t>(topic);
  TopicCounts& counts = topic_counts_[t_index];
  const bool measured = run_.recorder().measured(arrived);
  if (topic_depth_[t_index] >= spec.max_depth) {
    if (spec.when_full == WhenFull::Reject) {
      if (measured) ++counts.rejected;
      return Outcome::QueueFull;
    }
    if (measured) ++counts.waited;
    if (!room_mutex_) room_mutex_ = sg4::Mutex::create();
    if (room_.empty()) room_.resize(options_.topics.size());
    if (!room_[t_index]) room_[t_index] = sg4::ConditionVariable::create();
    std::unique_lock<sg4::Mutex> lock(*room_mutex_);
    while (topic_depth_[t_index] >= spec.max_depth) {
      if (m.deadline <= 0) {  // a producer that does not wait for the acknowledgement
        room_[t_index]->wait(lock);
        continue;
      }
      if (now() >= m.deadline) return Outcome::Timeout;  // the producer has given up
      room_[t_index]->wait_until(lock, m.deadline);
    }
  }
  const std::uint64_t id = ++next_record_;
  Record record;
  record.key = m.key;
  record.topic = topic;
  record.partition = partition;
  record.leader = replica.index();
  record.bytes = m.request_bytes;
  record.flow_start = m.flow_start;
  record.flow_host = m.flow_host;
  record.op = m.op;
  record.session = m.session;
  record.traced = m.traced;
  records_.emplace(id, record);
  ++topic_depth_[t_index];
  auto& unsafe = unsafe_[static_cast<std::size_t>(replica.index())];
  unsafe.push_back(id);
  append(replica, id, m.request_bytes);

  // Stored on the leader: the groups may have it.
  auto it = records_.find(id);
  if (it == records_.end()) return Outcome::Failed;  // lost while it was written
  Record& stored = it->second;
  stored.visible = true;
  stored.published_at = now();
  ++topic_published_[t_index];
  if (measured) ++counts.published;
  const auto& groups = groups_of_topic_[t_index];
  stored.groups_open = static_cast<int>(groups.size());
  const int local = partition - partition_base_[t_index];
  for (int g : groups) groups_[static_cast<std::size_t>(g)].queue->add(id, stored.key, local, stored.published_at);
  if (groups.empty()) {
    release(topic, id, false);
  } else {
    Dispatcher& dispatcher = dispatchers_[static_cast<std::size_t>(replica.index())];
    if (dispatcher.alive) dispatcher.inbox->wake();
  }
  // Replicated whether or not a group still needs it: the followers' logs keep every record.
  if (options_.replication_factor > 1) {
    const std::uint64_t sequence = hand_to_replicator(replica, {id, partition, m.request_bytes});
    if (options_.acks_all) {
      Replication& rp = replication_[static_cast<std::size_t>(replica.index())];
      std::unique_lock<sg4::Mutex> lock(*rp.mutex);
      rp.replicated->wait(lock, [&rp, sequence] { return rp.done >= sequence; });
    }
  }
  // Drop what became safe from the front of the list of unsafe records.
  while (!unsafe.empty() && !is_unsafe(unsafe.front())) unsafe.pop_front();
  if (measured) publish_time_.record(now() - arrived);
  return Outcome::Ok;
}

bool QueueRuntime::is_unsafe(std::uint64_t id) const {
  const auto it = records_.find(id);
  if (it == records_.end()) return false;
  const Record& record = it->second;
  return options_.replication_factor > 1 ? !record.replicated || !record.missed.empty() : !record.durable;
}

void QueueRuntime::fetch(ServiceReplica& replica, Message* batch) {
  fetches_[static_cast<std::size_t>(replica.index())]->hand_over(batch);
}

void QueueRuntime::fetch_loop(ServiceReplica& replica) {
  // One batch at a time, as a follower's fetcher thread does.
  Inbox& inbox = *fetches_[static_cast<std::size_t>(replica.index())];
  inbox.bind();
  while (true) {
    Message* batch = inbox.receive(-1);
    compute(replica, options_.op_cpu_s);
    append(replica, 0, batch->request_bytes);
    reply_to_caller(batch, Outcome::Ok);
  }
}

void QueueRuntime::mark_durable(const std::vector<std::uint64_t>& ids) {
  for (std::uint64_t id : ids) {
    if (id == 0) continue;
    auto it = records_.find(id);
    if (it != records_.end()) it->second.durable = true;
  }
}

QueueRuntime::Log& QueueRuntime::log_of(ServiceReplica& replica) {
  Log& log = logs_[static_cast<std::size_t>(replica.index())];
  if (!log.mutex) {
    log.mutex = sg4::Mutex::create();
    log.work = sg4::ConditionVariable::create();
    log.flushed = sg4::ConditionVariable::create();
  }
  return log;
}

void QueueRuntime::append(ServiceReplica& replica, std::uint64_t record, double bytes) {
  switch (options_.commit) {
    case Commit::PerMessage:
      replica.storage().write(bytes);
      mark_durable({record});
      return;
    case Commit::PageCache: {
      Log& log = log_of(replica);
      std::unique_lock<sg4::Mutex> lock(*log.mutex);
      if (log.pending.empty()) log.work->notify_one();  // an idle flusher waits for this
      log.pending.push_back(record);
      log.pending_bytes += bytes;
      return;
    }
    case Commit::Group: {
      Log& log = log_of(replica);
      std::unique_lock<sg4::Mutex> lock(*log.mutex);
      if (log.pending.empty()) log.opened_at = now();
      log.pending.push_back(record);
      log.pending_bytes += bytes;
      const std::uint64_t sequence = ++log.appended;
      log.work->notify_one();
      log.flushed->wait(lock, [&log, sequence] { return log.written >= sequence; });
      return;
    }
  }
}

void QueueRuntime::flush_loop(ServiceReplica& replica) {
  Log& log = log_of(replica);
  double tick = now();
  while (true) {
    if (options_.commit == Commit::PageCache) {
      // Write-back every flush interval. Ticks with nothing to write cost no event: an idle
      // flusher sleeps until an append, then until the tick after it. A tick writes at least
      // one append, so even the shortest interval costs no more than one write per append.
      tick += options_.flush_interval_s;
      sg4::this_actor::sleep_until(tick);
      if (log.pending.empty()) {
        {
          std::unique_lock<sg4::Mutex> lock(*log.mutex);
          log.work->wait(lock, [&log] { return !log.pending.empty(); });
        }
        const double ticks = std::max(1.0, std::ceil((now() - tick) / options_.flush_interval_s));
        tick = std::isfinite(ticks * options_.flush_interval_s) ? tick + ticks * options_.flush_interval_s : now();
        sg4::this_actor::sleep_until(tick);
      }
    } else {
      std::unique_lock<sg4::Mutex> lock(*log.mutex);
      log.work->wait(lock, [&log] { return !log.pending.empty(); });
      while (static_cast<int>(log.pending.size()) < options_.group_batch)
        if (log.work->wait_until(lock, log.opened_at + options_.group_s) == std::cv_status::timeout) break;
    }
    std::vector<std::uint64_t> batch;
    batch.swap(log.pending);
    const double bytes = log.pending_bytes;
    log.pending_bytes = 0;
    const std::uint64_t upto = log.appended;
    replica.storage().write(bytes);  // one I/O for the whole batch
    mark_durable(batch);
    if (options_.commit == Commit::PageCache) tick = now();  // the next interval starts after the write
    if (options_.commit == Commit::Group) {
      std::unique_lock<sg4::Mutex> lock(*log.mutex);
      log.written = upto;
      log.flushed->notify_all();
    }
  }
}

std::uint64_t QueueRuntime::hand_to_replicator(ServiceReplica& replica, const Handed& record) {
  Replication& rp = replication_[static_cast<std::size_t>(replica.index())];
  if (!rp.mutex) {
    rp.mutex = sg4::Mutex::create();
    rp.work = sg4::ConditionVariable::create();
    rp.replicated = sg4::ConditionVariable::create();
  }
  rp.pending.push_back(record);
  rp.work->notify_one();
  return ++rp.queued;
}

void QueueRuntime::replicate_loop(ServiceReplica& replica) {
  Replication& rp = replication_[static_cast<std::size_t>(replica.index())];
  if (!rp.mutex) {
    rp.mutex = sg4::Mutex::create();
    rp.work = sg4::ConditionVariable::create();
    rp.replicated = sg4::ConditionVariable::create();
  }
  rp.replies->bind();
  Message request;
  StepContext context{replica, *rp.replies, request};
  const auto n = service_.replicas().size();
  rp.behind.assign(n, {});
  rp.behind_bytes.assign(n, 0.0);
  const auto catching_up = [this, &rp, n] {
    for (std::size_t f = 0; f < n; ++f)
      if (!rp.behind[f].empty() && service_.replicas()[f]->up()) return true;
    return false;
  };
  while (true) {
    {
      std::unique_lock<sg4::Mutex> lock(*rp.mutex);
      // A follower back in reach gets what it missed with the next batch, or after a while
      // without publishes.
      if (catching_up()) {
        if (rp.pending.empty()) rp.work->wait_until(lock, now() + kCatchUpS);
      } else {
        rp.work->wait(lock, [&rp] { return !rp.pending.empty(); });
      }
    }
    std::vector<Handed> batch;
    batch.swap(rp.pending);
    const std::uint64_t upto = rp.queued;
    // What each follower gets: the records of the partitions it follows, in one call.
    std::vector<double> bytes(n, 0.0);
    for (const Handed& h : batch)
      for (int f : followers(h.partition, replica.index())) bytes[static_cast<std::size_t>(f)] += h.bytes;
    std::vector<ServiceReplica*> targets;
    std::vector<double> sizes;
    for (std::size_t f = 0; f < n; ++f) {
      ServiceReplica* follower = service_.replicas()[f].get();
      const double send = bytes[f] + rp.behind_bytes[f];
      if (send <= 0 || !follower->up()) continue;
      targets.push_back(follower);
      sizes.push_back(send + options_.delivery_bytes);
    }
    std::vector<Outcome> outcomes;
    if (!targets.empty())
      outcomes = call_replicas(context, targets, kReplicate, sizes, options_.delivery_bytes, kReplicaTimeoutS,
                               options_.replicate_hop);
    // A follower that is down or does not answer drops out of sync: the leader acknowledges
    // without it, and it gets the records again with its next batch. Until it has them they
    // are lost if it takes their partition over.
    std::vector<bool> answered(n, false);
    for (std::size_t i = 0; i < targets.size(); ++i)
      if (outcomes[i] == Outcome::Ok) answered[static_cast<std::size_t>(targets[i]->index())] = true;
    for (std::size_t f = 0; f < n; ++f) {
      if (!answered[f]) continue;
      for (std::uint64_t id : rp.behind[f]) {
        auto it = records_.find(id);
        if (it == records_.end()) continue;
        auto& missed = it->second.missed;
        missed.erase(std::remove(missed.begin(), missed.end(), static_cast<int>(f)), missed.end());
      }
      rp.behind[f].clear();
      rp.behind_bytes[f] = 0;
    }
    for (const Handed& h : batch) {
      auto it = records_.find(h.id);
      Record* record = it == records_.end() ? nullptr : &it->second;  // gone: no group needs it
      if (record) record->replicated = true;
      for (int f : followers(h.partition, replica.index())) {
        const auto fi = static_cast<std::size_t>(f);
        if (answered[fi]) continue;
        if (record) {
          record->missed.push_back(f);
          rp.behind[fi].push_back(h.id);
        }
        rp.behind_bytes[fi] += h.bytes;
      }
    }
    // Forget what was consumed meanwhile, now and then (its bytes stay: the follower's log
    // still needs them).
    for (auto& ids : rp.behind)
      if (ids.size() > 2 * records_.size() + 64)
        ids.erase(std::remove_if(ids.begin(), ids.end(), [this](std::uint64_t id) { return records_.count(id) == 0; }),
                  ids.end());
    std::unique_lock<sg4::Mutex> lock(*rp.mutex);
    rp.done = upto;
    rp.replicated->notify_all();
  }
}

void QueueRuntime::started(ServiceReplica& replica) {
  const auto r = static_cast<std::size_t>(replica.index());
  ServiceReplica* self = &replica;
  Dispatcher& dispatcher = dispatchers_[r];
  dispatcher.alive = true;
  replica.spawn_auxiliary("dispatcher", [this, self] { dispatch_loop(*self); });
  if (options_.commit != Commit::PerMessage) replica.spawn_auxiliary("log-flusher", [this, self] { flush_loop(*self); });
  if (options_.replication_factor > 1) {
    replica.spawn_auxiliary("replicator", [this, self] { replicate_loop(*self); });
    replica.spawn_auxiliary("fetcher", [this, self] { fetch_loop(*self); });
  }
  wake_dispatchers();  // partitions may come back to it
}

void QueueRuntime::stopped(ServiceReplica& replica) {
  const auto r = static_cast<std::size_t>(replica.index());
  const bool host_down = replica.state() == ReplicaState::HostDown;
  Log& log = logs_[r];
  // A crashed process's page cache is written back by the kernel; a host that went down
  // takes it along. Appends waiting for a group commit were never written.
  if (options_.commit == Commit::PageCache && !host_down) mark_durable(log.pending);
  log.pending.clear();
  log.pending_bytes = 0;
  log.appended = log.written = 0;
  log.mutex = nullptr;
  log.work = log.flushed = nullptr;
  Replication& rp = replication_[r];
  rp.pending.clear();
  rp.queued = rp.done = 0;
  rp.mutex = nullptr;
  rp.work = rp.replicated = nullptr;
  rp.replies->discard_all();
  fetches_[r]->discard_all();
  // The deliveries its dispatcher sent end with it (a consumer's connection to a broker that
  // went away closes): their members have room again, their messages come back when the
  // replica that takes the partition over finds them past their visibility timeout.
  for (auto it = delivery_member_.begin(); it != delivery_member_.end();) {
    if (it->second.broker == static_cast<int>(r)) {
      free_slot(it->second);
      it = delivery_member_.erase(it);
    } else {
      ++it;
    }
  }
  dispatchers_[r].alive = false;
  dispatchers_[r].inbox->discard_all();
  lose_unsafe(static_cast<int>(r), host_down);
  // Producers waiting for room on this replica died with it (waiting, they held no lock);
  // those of the other replicas wait on.
  wake_dispatchers();
}

void QueueRuntime::lose_unsafe(int replica, bool host_down) {
  auto& unsafe = unsafe_[static_cast<std::size_t>(replica)];
  std::deque<std::uint64_t> kept;
  const bool measured = run_.recorder().measured(now());
  for (std::uint64_t id : unsafe) {
    auto it = records_.find(id);
    if (it == records_.end() || !is_unsafe(id)) continue;
    Record& record = it->second;
    bool lost;
    if (options_.replication_factor > 1) {
      // Another replica of the partition takes it over: without this record if it was not
      // sent yet, or if that one dropped out of sync without it.
      int successor = -1;
      for (int f : followers(record.partition, replica))
        if (successor < 0 && service_.replicas()[static_cast<std::size_t>(f)]->up()) successor = f;
      if (!record.replicated)
        lost = successor >= 0 || (host_down && !record.durable);
      else
        lost = successor >= 0 &&
               std::find(record.missed.begin(), record.missed.end(), successor) != record.missed.end();
    } else {
      lost = host_down && !record.durable;
    }
    if (!lost) {
      kept.push_back(id);
      continue;
    }
    const int topic = record.topic;
    if (!record.visible) {  // its producer was never acknowledged
      release(topic, id, true);
      continue;
    }
    ++lost_total_;
    if (measured) ++topic_counts_[static_cast<std::size_t>(topic)].lost;
    for (int g : groups_of_topic_[static_cast<std::size_t>(topic)]) {
      GroupQueue& queue = *groups_[static_cast<std::size_t>(g)].queue;
      if (!queue.holds(id)) continue;
      queue.lose(id);
      release(topic, id, false);
    }
  }
  unsafe.swap(kept);
}

void QueueRuntime::release(int topic, std::uint64_t id, bool whole) {
  auto it = records_.find(id);
  if (it == records_.end()) return;
  if (!whole && --it->second.groups_open > 0) return;
  records_.erase(it);
  const auto t = static_cast<std::size_t>(topic);
  --topic_depth_[t];
  if (t < room_.size() && room_[t]) room_[t]->notify_all();
}

void QueueRuntime::wake_dispatchers() {
  for (Dispatcher& d : dispatchers_)
    if (d.alive) d.inbox->wake();
}

void QueueRuntime::members_changed() { wake_dispatchers(); }

void QueueRuntime::replica_state_changed(ServiceReplica&) { wake_dispatchers(); }

void QueueRuntime::member_died_with(int channel, std::uint64_t token) {
  if (channel < 0 || static_cast<std::size_t>(channel) >= groups_.size()) return;
  if (accepted_early_.erase(delivery_key(channel, token))) ++groups_[static_cast<std::size_t>(channel)].dropped;
}

int QueueRuntime::pick_member(Group& group, int partition) {
  Service& consumers = run_.service(group.service);
  const auto& replicas = consumers.replicas();
  const int prefetch = consumer::consumer_options(consumers.spec()).prefetch;
  const auto has_room = [&](std::size_t m) {
    ServiceReplica& member = *replicas[m];
    if (!member.up() || !member.in_service()) return false;
    Member& state = group.members[m];
    if (state.generation != member.generation()) {  // a new process: nothing of the old one is pending
      state.generation = member.generation();
      state.outstanding = 0;
    }
    return state.outstanding < prefetch;
  };
  if (group.per_key) {
    // Partitions are dealt to the members up, in order: partition p to the (p mod n)-th.
    std::size_t up = 0;
    for (const auto& member : replicas) up += member->up() && member->in_service();
    if (up == 0) return -1;
    std::size_t k = static_cast<std::size_t>(partition) % up;
    for (std::size_t m = 0; m < replicas.size(); ++m) {
      if (!replicas[m]->up() || !replicas[m]->in_service()) continue;
      if (k-- == 0) return has_room(m) ? static_cast<int>(m) : -1;
    }
    return -1;
  }
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    const std::size_t m = (group.next_member + i) % replicas.size();
    if (has_room(m)) {
      group.next_member = m + 1;
      return static_cast<int>(m);
    }
  }
  return -1;
}

void QueueRuntime::take_warmup_counts() {
  for (Group& group : groups_) {
    const GroupQueue::Counts& c = group.queue->counts();
    group.at_warmup = c;
    group.dropped_at_warmup = group.dropped;
  }
  warmup_taken_ = true;
}

void QueueRuntime::dispatch(ServiceReplica& replica, double t) {
  if (!warmup_taken_ && t >= run_.scenario().warmup_s) take_warmup_counts();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    const auto topic = static_cast<std::size_t>(group.topic);
    const TopicSpec& spec = options_.topics[topic];
    const auto done_with = [this, topic](std::uint64_t id) { release(static_cast<int>(topic), id, false); };
    // A delivery given up no longer counts against its member's prefetch: its answer may
    // never come (lost with a partition or a broker), and one that does is late.
    const auto given_up = [this, g](std::uint64_t token) { end_delivery(static_cast<int>(g), token); };
    if (spec.retention_s > 0) group.queue->expire(t, spec.retention_s, done_with);
    for (int p = 0; p < spec.partitions; ++p) {
      if (leader(partition_base_[topic] + p) != &replica) continue;
      group.queue->advance(p, t, done_with, given_up);
      while (group.queue->maybe_ready(p)) {
        const int member = pick_member(group, p);
        if (member < 0) break;
        const auto delivery = group.queue->take(p, now());
        if (!delivery) break;
        deliver(replica, group, static_cast<int>(g), *delivery, member);
      }
    }
  }
}

void QueueRuntime::deliver(ServiceReplica& replica, Group& group, int g, const GroupQueue::Delivery& delivery,
                           int member) {
  const auto it = records_.find(delivery.id);
  if (it == records_.end()) return;
  const Record record = it->second;
  ServiceReplica& target = *run_.service(group.service).replicas()[static_cast<std::size_t>(member)];
  Member& state = group.members[static_cast<std::size_t>(member)];
  ++state.outstanding;
  delivery_member_[delivery_key(g, delivery.token)] = {g, member, state.generation, replica.index()};
  auto* message = new Message;
  message->id = run_.next_call_id();
  message->reply_to = dispatchers_[static_cast<std::size_t>(replica.index())].inbox->mailbox();
  message->reply_host = replica.host();
  message->endpoint = consumer::kDeliver;
  message->op = record.op;
  message->key = record.key;
  message->session = record.session;
  message->traced = record.traced;
  message->request_bytes = record.bytes + options_.delivery_bytes;
  message->response_bytes = options_.delivery_bytes;
  message->flow_start = record.flow_start;
  message->flow_host = record.flow_host;
  message->channel = g;
  message->item = delivery.id;
  message->sequence = delivery.token;
  message->version = static_cast<std::uint64_t>(delivery.attempt);
  message->origin_at = record.published_at;
  message->sent_at = now();
  send_message(target.address(), target.host(), message, message->request_bytes);
  compute(replica, options_.op_cpu_s);
}

void QueueRuntime::answered(ServiceReplica& replica, Message* reply) {
  compute(replica, options_.op_cpu_s);
  const auto g = static_cast<std::size_t>(reply->channel);
  if (g >= groups_.size()) {
    delete reply;
    return;
  }
  Group& group = groups_[g];
  const std::uint64_t id = reply->item;
  const std::uint64_t token = reply->sequence;
  if (!reply->early) end_delivery(static_cast<int>(g), token);  // the member is done with it
  const int topic = group.topic;
  GroupQueue::Verdict verdict = GroupQueue::Verdict::Stale;
  if (group.ack_before) {
    if (reply->early) {
      verdict = group.queue->ack(id, token);
      if (verdict == GroupQueue::Verdict::Done) accepted_early_.insert(delivery_key(static_cast<int>(g), token));
    } else if (accepted_early_.erase(delivery_key(static_cast<int>(g), token)) && reply->status != Outcome::Ok) {
      ++group.dropped;  // acknowledged on receipt, then its processing failed: lost
    }
  } else if (reply->status == Outcome::Ok) {
    verdict = group.queue->ack(id, token);
  } else {
    verdict = group.queue->fail(id, token, now());
  }
  if (verdict == GroupQueue::Verdict::Done || verdict == GroupQueue::Verdict::DeadLetter) release(topic, id, false);
  delete reply;
}

void QueueRuntime::end_delivery(int group, std::uint64_t token) {
  const auto it = delivery_member_.find(delivery_key(group, token));
  if (it == delivery_member_.end()) return;
  free_slot(it->second);
  delivery_member_.erase(it);
}

void QueueRuntime::free_slot(const Outstanding& delivery) {
  Member& state = groups_[static_cast<std::size_t>(delivery.group)].members[static_cast<std::size_t>(delivery.member)];
  if (state.generation == delivery.generation && state.outstanding > 0) --state.outstanding;
}

double QueueRuntime::next_due(int replica) const {
  double due = kNever;
  auto& self = const_cast<QueueRuntime&>(*this);
  ServiceReplica* me = service_.replicas()[static_cast<std::size_t>(replica)].get();
  for (const Group& group : groups_) {
    const auto topic = static_cast<std::size_t>(group.topic);
    const TopicSpec& spec = options_.topics[topic];
    if (spec.retention_s > 0) {
      const auto oldest = group.queue->oldest_published();
      if (oldest) due = std::min(due, *oldest + spec.retention_s);
    }
    for (int p = 0; p < spec.partitions; ++p)
      if (self.leader(partition_base_[topic] + p) == me) due = std::min(due, group.queue->next_due(p));
  }
  if (!warmup_taken_) due = std::min(due, run_.scenario().warmup_s);
  return due;
}

void QueueRuntime::dispatch_loop(ServiceReplica& replica) {
  Dispatcher& dispatcher = dispatchers_[static_cast<std::size_t>(replica.index())];
  dispatcher.inbox->bind();
  while (true) {
    dispatch(replica, now());
    const double due = next_due(replica.index());
    Message* message = dispatcher.inbox->receive(std::isinf(due) ? -1.0 : std::max(0.0, due - now()));
    if (!message) continue;
    if (message->reply)
      answered(replica, message);
    else
      delete message;
  }
}

nlohmann::ordered_json QueueRuntime::report(double) const {
  nlohmann::ordered_json j;
  j["acks"] = options_.acks_all ? "all" : "1";
  j["replication_factor"] = options_.replication_factor;
  j["commit"] = to_string(options_.commit);
  j["publish_ms"] = {{"count", publish_time_.count()},
                     {"mean", publish_time_.mean() * 1000.0},
                     {"p50", publish_time_.percentile(0.5) * 1000.0},
                     {"p99", publish_time_.percentile(0.99) * 1000.0}};
  nlohmann::ordered_json topics = nlohmann::ordered_json::object();
  for (std::size_t t = 0; t < options_.topics.size(); ++t) {
    const TopicCounts& c = topic_counts_[t];
    nlohmann::ordered_json topic;
    topic["partitions"] = options_.topics[t].partitions;
    topic["published"] = c.published;
    topic["rejected_full"] = c.rejected;
    topic["waited_full"] = c.waited;
    topic["lost_in_broker"] = c.lost;
    topic["stored_at_end"] = topic_depth_[t];
    nlohmann::ordered_json groups = nlohmann::ordered_json::object();
    for (int gi : groups_of_topic_[t]) {
      const Group& group = groups_[static_cast<std::size_t>(gi)];
      const GroupQueue::Counts& all = group.queue->counts();
      const GroupQueue::Counts& w = group.at_warmup;
      nlohmann::ordered_json g;
      g["delivered"] = share_of(all.delivered, w.delivered);
      g["redelivered"] = share_of(all.redelivered, w.redelivered);
      // At most once, an acknowledged message whose processing then failed is lost, not
      // acknowledged: each message is counted in one place.
      g["acknowledged"] = share_of(all.acknowledged - group.dropped, w.acknowledged - group.dropped_at_warmup);
      g["failed_deliveries"] = share_of(all.failed, w.failed);
      g["visibility_timeouts"] = share_of(all.timed_out, w.timed_out);
      g["dead_lettered"] = share_of(all.dead_lettered, w.dead_lettered);
      g["late_answers"] = share_of(all.stale, w.stale);
      g["lost"] = share_of(all.lost + all.expired + group.dropped, w.lost + w.expired + group.dropped_at_warmup);
      // Every message the group was given, since the start, ends in exactly one term.
      nlohmann::ordered_json balance;
      balance["published"] = all.added;
      balance["acknowledged"] = all.acknowledged - group.dropped;
      balance["waiting"] = group.queue->waiting();
      balance["in_flight"] = group.queue->in_flight();
      balance["dead_lettered"] = all.dead_lettered;
      balance["lost"] = all.lost + all.expired + group.dropped;
      balance["lost_by_cause"] = {{"broker_crash", all.lost}, {"retention", all.expired}, {"after_early_ack", group.dropped}};
      g["balance"] = balance;
      groups[run_.scenario().services[static_cast<std::size_t>(group.service)].name] = g;
    }
    topic["groups"] = groups;
    topics[options_.topics[t].name] = topic;
  }
  j["topics"] = topics;
  return j;
}

namespace {

class PublishExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    const auto& options = step.options_as<PublishStep>();
    Service& caller = context.replica.service();
    auto& queue = static_cast<QueueRuntime&>(caller.run().service(options.queue).runtime());
    std::uint64_t key = context.request.key;
    if (options.key == PartitionKey::Session) key = context.request.session;
    if (options.key == PartitionKey::Random) key = caller.rng().next_u64();
    const int partition = queue.partition_for(options.topic, key);
    CallData data;
    data.channel = options.topic;
    data.item = static_cast<std::uint64_t>(partition);
    data.key = key;
    data.has_key = true;
    ServiceReplica* target = queue.leader(partition);
    const int endpoint = publish_endpoint(options.topic);
    if (!options.wait) return send_call(context, target, endpoint, options.message_bytes, options.hop, &data);
    return call_replica(context, target, endpoint, options.message_bytes, queue_options(caller.run().service(options.queue).spec()).delivery_bytes,
                        options.timeout_s, options.hop, &data);
  }
};

}  // namespace

void add_to(RuntimeCatalog& catalog) {
  static const PublishExecutor publish;
  catalog.add_service("queue", [](Service& service, RunContext& run) -> std::unique_ptr<ServiceRuntime> {
    return std::make_unique<QueueRuntime>(run, service);
  });
  catalog.add_step("publish", publish);
}

}  // namespace archsim::kinds::queue
