#pragma once
// The message-queue broker kind, scenario side: named topics, each a set of partitions
// (ordered logs), on a cluster of broker replicas, and the steps by which services use it.
//
//  - A queue service has internal endpoints: replicate, and publish.TOPIC per topic. A publish runs
//    op_cpu_us on a broker thread, appends the message to its partition's log on the
//    leader's disk (per the log's commit policy), and, with a replication factor above 1,
//    reaches the followers (acks "all": before the producer's acknowledgement; acks 1:
//    after it, in the background).
//  - Partition p is led by the first replica up of its replica set, replicas p, p + 1, ...
//    (mod replicas), replication_factor of them: a partition whose replicas are all down
//    takes no publishes and delivers nothing until one returns.
//  - Each consumer service subscribed to a topic is a group: every group gets every
//    message. The leader of a partition pushes its messages to the group's members, at
//    most `prefetch` unacknowledged per member (kinds/consumer).
//  - The publish step (any endpoint): topic, message size, the partition key (the
//    request's key or session, or random), whether to wait for the acknowledgement.
//  - The notify step (a consumer's steps, at the end of an asynchronous flow): sends the
//    outcome to the client whose request started the flow, and records the end-to-end
//    time from that request to the notification's arrival.
// What a broker and a group keep is GroupQueue's (group_queue.hpp); what they do in a
// run, QueueRuntime's (queue_runtime.hpp).
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim {
class Node;
class ScenarioBuilder;
}  // namespace archsim

namespace archsim::kinds::queue {

// The endpoints of a queue service: a follower's append, then one publish endpoint per
// topic ("publish.TOPIC"), so that the call graph follows each topic to its groups (a
// consumer that publishes into its own topic, directly or through calls, is a cycle).
enum QueueEndpoint { kReplicate = 0, kFirstTopic = 1 };
inline int publish_endpoint(int topic) { return kFirstTopic + topic; }

// How an append becomes durable on a broker's disk.
enum class Commit {
  PerMessage,  // each append is written and synced before it counts as stored
  Group,       // appends wait for the next group commit: one write per group_ms or group_batch messages
  PageCache,   // stored in memory at once, written every flush_interval_ms (Kafka's default): a host
               // crash loses what was not yet written
};
const char* to_string(Commit commit);

enum class WhenFull { Reject, Wait };

struct TopicSpec {
  std::string name;
  int partitions = 1;
  std::uint64_t max_depth = 0;  // messages some group has not finished with
  WhenFull when_full = WhenFull::Reject;
  double retention_s = 0;       // a message older than this is deleted, unless a consumer has it
};

struct QueueOptions : KindOptions {
  std::vector<TopicSpec> topics;
  bool acks_all = true;
  int replication_factor = 1;
  Commit commit = Commit::PerMessage;
  double group_s = 0;
  int group_batch = 1;
  double flush_interval_s = 0;
  double op_cpu_s = 0;
  double delivery_bytes = 0;  // a delivery's and an acknowledgement's header
  int replicate_hop = -1;     // the leaders' calls to their followers
  std::vector<std::pair<int, int>> subscribers;  // (consumer service, topic), found once typed

  int topic_index(const std::string& name) const;
};

enum class PartitionKey { Request, Session, Random };

struct PublishStep : StepOptions {
  int queue = -1;
  int topic = -1;
  double message_bytes = 0;
  PartitionKey key = PartitionKey::Request;
  bool wait = true;
  double timeout_s = 0;
  int hop = -1;
};

struct NotifyStep : StepOptions {
  std::string flow;  // the name the end-to-end times are reported under
  double message_bytes = 0;
};

const QueueOptions& queue_options(const ServiceSpec& service);
// The topic of queue service `queue` named by `node`, or -1 after reporting "no such topic"
// (unless the queue's topics broke the schema: that is reported already).
int topic_named(const ServiceSpec& queue, const Node& node, ScenarioBuilder& builder);
// The kind itself, to recognise a queue service.
const ServiceKind* queue_kind();
// The replica leading partition `partition` first (its replica set starts there).
inline int first_replica(int partition, int replicas) { return partition % replicas; }

}  // namespace archsim::kinds::queue
