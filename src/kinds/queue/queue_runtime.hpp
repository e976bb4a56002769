#pragma once
// The message-queue broker, run-time side (see queue_kind.hpp for what a scenario says).
//
//  - Publish: a broker thread of the partition's leader spends op_cpu_us, refuses the
//    message (queue_full) or waits while its topic is at max_depth, appends it to its log
//    (per the commit policy: a synced write, a group commit shared with the appends of the
//    next group_ms or group_batch, or the page cache written back every
//    flush_interval_ms), and with followers hands it to the leader's replicator, which
//    sends the followers what accumulated in one call each (they append it the same way);
//    acks "all" waits for them before acknowledging the producer. A message is delivered
//    as soon as the leader has stored it.
//  - Delivery: a dispatcher per broker replica pushes the messages of the partitions it
//    leads to the groups' members that are up and have room under their prefetch, each
//    costing op_cpu_us, and takes their answers (acknowledgements, failures) at the same
//    cost. What a group keeps per message is its GroupQueue's.
//  - Crashes: a message not yet safe when its leader dies is lost for every group that had
//    not finished with it. Safe means on the followers with replication_factor > 1 (another
//    replica takes the partition over without it, as Kafka truncates an unreplicated tail),
//    on the leader's disk otherwise (lost only when the host goes down: the page cache of a
//    crashed process survives it). Deliveries whose answer was lost with the dispatcher
//    come back after the visibility timeout.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "components/service_runtime.hpp"
#include "engine/inbox.hpp"
#include "kinds/queue/group_queue.hpp"
#include "kinds/queue/queue_kind.hpp"
#include "recording/histogram.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::queue {

class QueueRuntime : public ServiceRuntime {
 public:
  QueueRuntime(RunContext& run, Service& service);
  ~QueueRuntime() override;

  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  void start() override;
  void replica_state_changed(ServiceReplica& replica) override;
  nlohmann::ordered_json report(double end) const override;

  // Producers: the partition (over all topics) a message of `topic` with `key` goes to,
  // and the replica leading it now (nullptr: none of its replicas is up).
  int partition_for(int topic, std::uint64_t key) const;
  ServiceReplica* leader(int partition);
  // Consumers: a member of `group` (a consumer service) came or went.
  void members_changed();
  // At most once: the member processing delivery `token` of group `channel` died; if its
  // early acknowledgement had been accepted, the message is lost.
  void member_died_with(int channel, std::uint64_t token);

  // In a broker thread: a publish.
  Outcome serve(StepContext& context);
  // From the acceptor: a leader's batch for this follower, appended by its fetcher.
  void fetch(ServiceReplica& replica, Message* batch);
  // The replica's own actors.
  void dispatch_loop(ServiceReplica& replica);
  void fetch_loop(ServiceReplica& replica);
  void flush_loop(ServiceReplica& replica);
  void replicate_loop(ServiceReplica& replica);
  void started(ServiceReplica& replica);
  void stopped(ServiceReplica& replica);

 private:
  struct Record {
    std::uint64_t key = 0;
    int topic = 0;
    int partition = 0;
    int leader = 0;
    double bytes = 0;
    double published_at = 0;
    double flow_start = 0;
    const sg4::Host* flow_host = nullptr;
    int op = -1;
    std::uint64_t session = 0;
    bool traced = false;
    bool visible = false;  // stored on the leader and given to the groups
    bool durable = false;
    bool replicated = false;  // sent to its followers, which answered or dropped out of sync
    std::vector<int> missed;  // followers out of sync that do not have it yet
    int groups_open = 0;
  };
  struct Member {
    int outstanding = 0;  // deliveries not yet answered
    std::uint64_t generation = 0;
  };
  struct Group {
    int service = -1;
    int topic = -1;
    bool per_key = false;
    bool ack_before = false;
    std::unique_ptr<GroupQueue> queue;
    std::vector<Member> members;
    std::size_t next_member = 0;  // round robin for competing consumers
    std::uint64_t dropped = 0;    // at most once: acknowledged, then not processed
    GroupQueue::Counts at_warmup;  // queue->counts() when the measured period began
    std::uint64_t dropped_at_warmup = 0;
  };
  // A broker replica's log: appends waiting for a group commit or a page-cache write-back.
  struct Log {
    std::vector<std::uint64_t> pending;  // records to mark durable (0 for a follower's append)
    double pending_bytes = 0;
    double opened_at = 0;
    std::uint64_t appended = 0;  // appends so far; the flusher has written the first `written`
    std::uint64_t written = 0;
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr work;     // the flusher: appends arrived
    sg4::ConditionVariablePtr flushed;  // the writers: a flush is done
  };
  // A leader's replication: records waiting to be sent to the followers.
  // A record handed to the replicator, with what it needs to send it: the record itself may
  // be gone by then (every group done with it, or none to read it), its bytes may not.
  struct Handed {
    std::uint64_t id;
    int partition;
    double bytes;
  };
  struct Replication {
    std::vector<Handed> pending;
    std::uint64_t queued = 0;  // records handed over so far; the followers have the first `done`
    std::uint64_t done = 0;
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr work;
    sg4::ConditionVariablePtr replicated;
    std::unique_ptr<Inbox> replies;
    // Per follower: the records it missed while down or out of reach, and their bytes,
    // sent again with the next batch it answers.
    std::vector<std::vector<std::uint64_t>> behind;
    std::vector<double> behind_bytes;
  };
  struct Dispatcher {
    std::unique_ptr<Inbox> inbox;
    bool alive = false;
  };
  struct TopicCounts {
    std::uint64_t published = 0, rejected = 0, waited = 0, lost = 0;
  };

  // Appends `bytes` to `replica`'s log and returns once it is stored per the commit
  // policy; the record (0: a follower's append) is marked durable when it is on disk.
  void append(ServiceReplica& replica, std::uint64_t record, double bytes);
  // Returns the record's place in the replicator's sequence.
  std::uint64_t hand_to_replicator(ServiceReplica& replica, const Handed& record);
  Log& log_of(ServiceReplica& replica);
  void mark_durable(const std::vector<std::uint64_t>& ids);
  // Whether a crash of its leader could lose the record.
  bool is_unsafe(std::uint64_t id) const;
  void dispatch(ServiceReplica& replica, double t);
  void deliver(ServiceReplica& replica, Group& group, int g, const GroupQueue::Delivery& delivery, int member);
  void answered(ServiceReplica& replica, Message* reply);
  // A group is done with the record (acknowledged, dead-lettered, lost or expired), or
  // with `whole` the record goes at once (lost before any group had it).
  void release(int topic, std::uint64_t id, bool whole);
  int pick_member(Group& group, int partition);
  void compute(ServiceReplica& replica, double seconds);
  void wake_dispatchers();
  void lose_unsafe(int replica, bool host_down);
  double next_due(int replica) const;
  std::vector<int> followers(int partition, int leader) const;
  void take_warmup_counts();

  RunContext& run_;
  Service& service_;
  const QueueOptions& options_;
  std::vector<int> partition_base_;  // first partition (over all topics) of each topic
  int partitions_ = 0;
  std::vector<std::uint64_t> topic_depth_;  // records of each topic some group has not finished
  std::vector<TopicCounts> topic_counts_;   // measured
  std::vector<std::uint64_t> topic_published_;  // since the start
  sg4::MutexPtr room_mutex_;
  std::vector<sg4::ConditionVariablePtr> room_;  // per topic: depth went down (when_full wait)
  bool warmup_taken_ = false;
  std::vector<Group> groups_;
  std::vector<std::vector<int>> groups_of_topic_;
  std::unordered_map<std::uint64_t, Record> records_;
  std::uint64_t next_record_ = 0;
  std::vector<std::deque<std::uint64_t>> unsafe_;  // per replica: records it leads not yet safe
  std::vector<Log> logs_;
  std::vector<Replication> replication_;
  std::vector<Dispatcher> dispatchers_;
  std::vector<std::unique_ptr<Inbox>> fetches_;  // per replica: its leaders' batches
  // At most once: deliveries whose early acknowledgement was accepted and whose
  // processing has not ended (by group and token).
  std::unordered_set<std::uint64_t> accepted_early_;
  // A delivery not yet answered: its group, its member (and that process's generation), and
  // the broker replica whose dispatcher sent it and takes its answer.
  struct Outstanding {
    int group = 0;
    int member = 0;
    std::uint64_t generation = 0;
    int broker = 0;
  };
  std::unordered_map<std::uint64_t, Outstanding> delivery_member_;  // by group and token
  // The delivery is no longer outstanding (answered or given up): its member has room again.
  void end_delivery(int group, std::uint64_t token);
  void free_slot(const Outstanding& delivery);
  Histogram publish_time_;  // a publish in the broker: arrival to acknowledgement
  std::uint64_t lost_total_ = 0;
};

// Adds the queue's runtime and the executors of publish and notify.
void add_to(RuntimeCatalog& catalog);

}  // namespace archsim::kinds::queue
