#pragma once
// The consumer kind, scenario side: a consumer group of a queue's topic. Each replica is a
// member; the group gets every message of the topic (another consumer service on the same
// topic is another group and gets them all too).
//
//  - A member runs `concurrency` workers; the broker pushes it at most `prefetch`
//    unacknowledged messages (the others wait in its local queue).
//  - ordering "none": competing consumers, any member takes any message; "per_key": each
//    partition belongs to one member at a time (reassigned when members come and go) and
//    a key has at most one message in flight in the group, so a key's messages are
//    processed in publish order.
//  - Each delivery runs the group's steps (the step language of endpoints). With ack
//    "after_processing" (at least once) the reply to the delivery is the acknowledgement,
//    or a negative one on failure; with "before_processing" (at most once) the member
//    acknowledges on receipt, and a message whose processing then fails is lost.
//  - A message not acknowledged within visibility_timeout_ms is delivered again; a failed
//    delivery is retried after a backoff; after max_deliveries it goes to the dead-letter
//    queue. fail_probability fails each attempt at random, poison_fraction of the
//    messages fail every attempt.
//  - idempotency: before the steps, a call checks whether the message id was processed
//    (skipping the steps when it was); after them, a call records it.
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim::kinds::consumer {

enum ConsumerEndpoint { kDeliver = 0 };

struct IdempotencySpec {
  int service = -1;
  int check_endpoint = -1;
  int record_endpoint = -1;
  double timeout_s = 0;
  int check_hop = -1;
  int record_hop = -1;
};

struct ConsumerOptions : KindOptions {
  int queue = -1;
  int topic = -1;
  int concurrency = 1;
  int prefetch = 1;
  bool ack_before = false;
  double visibility_timeout_s = 0;
  int max_deliveries = 1;
  double backoff_s = 0;
  double backoff_multiplier = 1;
  double max_backoff_s = 0;
  double fail_probability = 0;
  double poison_fraction = 0;
  bool per_key = false;
  std::optional<IdempotencySpec> idempotency;
};

const ConsumerOptions& consumer_options(const ServiceSpec& service);
const ServiceKind* consumer_kind();

}  // namespace archsim::kinds::consumer
