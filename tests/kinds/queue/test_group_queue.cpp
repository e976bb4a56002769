// What a broker keeps for a consumer group, without an engine: delivery order, per-key
// ordering, acknowledgements, retries with backoff, dead letters, visibility timeouts,
// losses, retention, and the balance every message ends in.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kinds/queue/group_queue.hpp"

using namespace archsim::kinds::queue;

namespace {

GroupQueue::Config config(int max_deliveries = 3, bool per_key = false, int partitions = 1) {
  GroupQueue::Config c;
  c.partitions = partitions;
  c.per_key = per_key;
  c.max_deliveries = max_deliveries;
  c.visibility_s = 10;
  c.backoff_s = 0.1;
  c.multiplier = 2;
  c.max_backoff_s = 1;
  return c;
}

// The balance of the run invariant: every message added ends in one term.
void check_balance(const GroupQueue& q) {
  const auto& c = q.counts();
  CHECK(c.added == c.acknowledged + q.waiting() + q.in_flight() + c.dead_lettered + c.lost + c.expired);
}

const auto ignore = [](std::uint64_t) {};

}  // namespace

TEST_CASE("group queue: messages go out in publish order and end when acknowledged") {
  GroupQueue q(config());
  for (std::uint64_t id = 1; id <= 3; ++id) q.add(id, id, 0, 0.0);
  auto a = q.take(0, 1.0);
  auto b = q.take(0, 1.0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id == 1);
  CHECK(b->id == 2);
  CHECK(a->attempt == 1);
  CHECK(q.in_flight() == 2);
  CHECK(q.waiting() == 1);
  CHECK(q.ack(a->id, a->token) == GroupQueue::Verdict::Done);
  CHECK(q.ack(a->id, a->token) == GroupQueue::Verdict::Stale);  // a second answer
  CHECK(q.counts().acknowledged == 1);
  check_balance(q);
}

TEST_CASE("group queue: a failed delivery comes back after its backoff, then goes to the dead letters") {
  GroupQueue q(config(3));
  q.add(1, 1, 0, 0.0);
  auto d = q.take(0, 0.0);
  CHECK(q.fail(d->id, d->token, 0.0) == GroupQueue::Verdict::Retry);
  CHECK(!q.take(0, 0.05));  // still backing off
  CHECK(q.next_due(0) == Approx(0.1));
  q.advance(0, 0.1, ignore);
  d = q.take(0, 0.1);
  REQUIRE(d);
  CHECK(d->attempt == 2);
  CHECK(q.fail(d->id, d->token, 0.1) == GroupQueue::Verdict::Retry);
  CHECK(q.next_due(0) == Approx(0.3));  // the backoff doubled
  q.advance(0, 0.31, ignore);
  d = q.take(0, 0.31);
  REQUIRE(d);
  CHECK(d->attempt == 3);
  CHECK(q.fail(d->id, d->token, 0.31) == GroupQueue::Verdict::DeadLetter);
  CHECK(q.counts().dead_lettered == 1);
  CHECK(q.counts().redelivered == 2);
  check_balance(q);
}

TEST_CASE("group queue: backoff grows by its multiplier up to its cap") {
  GroupQueue q(config());
  CHECK(q.backoff(1) == Approx(0.1));
  CHECK(q.backoff(2) == Approx(0.2));
  CHECK(q.backoff(4) == Approx(0.8));
  CHECK(q.backoff(5) == Approx(1.0));
  CHECK(q.backoff(30) == Approx(1.0));
}

TEST_CASE("group queue: a delivery past its visibility timeout is delivered again; the late answer is stale") {
  GroupQueue q(config(3));
  q.add(1, 1, 0, 0.0);
  const auto first = q.take(0, 0.0);
  CHECK(q.next_due(0) == Approx(10.0));
  q.advance(0, 10.0, ignore);
  CHECK(q.counts().timed_out == 1);
  const auto second = q.take(0, 10.0);
  REQUIRE(second);
  CHECK(second->attempt == 2);
  CHECK(q.ack(first->id, first->token) == GroupQueue::Verdict::Stale);
  CHECK(q.ack(second->id, second->token) == GroupQueue::Verdict::Done);
  check_balance(q);
}

TEST_CASE("group queue: the last delivery's timeout dead-letters the message") {
  GroupQueue q(config(1));
  q.add(1, 1, 0, 0.0);
  q.take(0, 0.0);
  std::vector<std::uint64_t> dead;
  q.advance(0, 10.0, [&dead](std::uint64_t id) { dead.push_back(id); });
  CHECK(dead == std::vector<std::uint64_t>{1});
  CHECK(!q.take(0, 10.0));
  check_balance(q);
}

TEST_CASE("group queue: per key, a key has one message out and its messages keep their order") {
  GroupQueue q(config(5, true));
  q.add(1, 7, 0, 0.0);  // key 7
  q.add(2, 7, 0, 0.0);  // key 7, behind 1
  q.add(3, 8, 0, 0.0);  // key 8
  const auto a = q.take(0, 0.0);
  const auto b = q.take(0, 0.0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id == 1);
  CHECK(b->id == 3);       // 2 waits for 1
  CHECK(!q.take(0, 0.0));
  // 1 fails: while it backs off, 2 still waits; then 1 goes again before 2.
  CHECK(q.fail(a->id, a->token, 0.0) == GroupQueue::Verdict::Retry);
  CHECK(!q.take(0, 0.05));
  q.advance(0, 0.1, ignore);
  const auto again = q.take(0, 0.1);
  REQUIRE(again);
  CHECK(again->id == 1);
  CHECK(q.ack(again->id, again->token) == GroupQueue::Verdict::Done);
  const auto next = q.take(0, 0.2);
  REQUIRE(next);
  CHECK(next->id == 2);
  check_balance(q);
}

TEST_CASE("group queue: per key, a message added while its key is out waits behind it") {
  GroupQueue q(config(5, true));
  q.add(1, 7, 0, 0.0);
  const auto a = q.take(0, 0.0);
  q.add(2, 7, 0, 0.5);
  CHECK(!q.take(0, 0.5));
  q.ack(a->id, a->token);
  const auto b = q.take(0, 0.6);
  REQUIRE(b);
  CHECK(b->id == 2);
}

TEST_CASE("group queue: without per key ordering a retried message goes behind later ones") {
  GroupQueue q(config(5, false));
  q.add(1, 7, 0, 0.0);
  q.add(2, 7, 0, 0.0);
  const auto a = q.take(0, 0.0);
  q.fail(a->id, a->token, 0.0);
  const auto b = q.take(0, 0.0);
  REQUIRE(b);
  CHECK(b->id == 2);  // competing consumers: the same key goes on
}

TEST_CASE("group queue: a lost message frees its key and leaves the balance whole") {
  GroupQueue q(config(5, true));
  q.add(1, 7, 0, 0.0);
  q.add(2, 7, 0, 0.0);
  q.take(0, 0.0);
  q.lose(1);
  CHECK(q.counts().lost == 1);
  const auto b = q.take(0, 1.0);
  REQUIRE(b);
  CHECK(b->id == 2);
  q.lose(2);
  q.add(3, 7, 0, 2.0);
  CHECK(q.take(0, 2.0)->id == 3);  // nothing holds the key any more
  check_balance(q);
}

TEST_CASE("group queue: retention expires old messages, and lag is the oldest unfinished one") {
  GroupQueue q(config(5, false, 2));
  q.add(1, 1, 0, 1.0);
  q.add(2, 2, 1, 2.0);
  q.add(3, 3, 1, 3.0);
  CHECK(*q.oldest_published() == Approx(1.0));
  const auto a = q.take(0, 3.0);
  q.ack(a->id, a->token);
  CHECK(*q.oldest_published() == Approx(2.0));
  std::vector<std::uint64_t> expired;
  q.expire(3.5, 1.0, [&expired](std::uint64_t id) { expired.push_back(id); });
  CHECK(expired == std::vector<std::uint64_t>{2});
  CHECK(q.counts().expired == 1);
  CHECK(*q.oldest_published() == Approx(3.0));
  check_balance(q);
}

TEST_CASE("group queue: a message in flight when its retention runs out is left to its consumer") {
  GroupQueue q(config(5));
  q.add(1, 1, 0, 1.0);
  q.add(2, 2, 0, 1.5);
  const auto a = q.take(0, 2.0);
  const auto b = q.take(0, 2.0);
  std::vector<std::uint64_t> expired;
  const auto collect = [&expired](std::uint64_t id) { expired.push_back(id); };
  q.expire(4.0, 1.0, collect);
  CHECK(expired.empty());  // both out: their consumers have them
  CHECK(q.ack(a->id, a->token) == GroupQueue::Verdict::Done);
  CHECK(q.counts().acknowledged == 1);
  // The other comes back (a failure): it expires then, and is not delivered again.
  CHECK(q.fail(b->id, b->token, 3.0) == GroupQueue::Verdict::Retry);
  q.advance(0, 10.0, ignore);
  q.expire(4.0, 1.0, collect);
  CHECK(expired == std::vector<std::uint64_t>{2});
  CHECK(!q.take(0, 10.0));
  CHECK(q.counts().expired == 1);
  check_balance(q);
}

TEST_CASE("group queue: a message back from a visibility timeout after its retention is not delivered again") {
  GroupQueue q(config(5));
  q.add(1, 1, 0, 0.0);
  const auto a = q.take(0, 0.0);
  std::vector<std::uint64_t> expired;
  const auto collect = [&expired](std::uint64_t id) { expired.push_back(id); };
  q.expire(2.0, 1.0, collect);
  std::vector<std::uint64_t> given_up;
  q.advance(0, 10.0, ignore, [&given_up](std::uint64_t token) { given_up.push_back(token); });
  CHECK(given_up == std::vector<std::uint64_t>{a->token});
  CHECK(!q.take(0, 10.0));  // expired on its way out again
  CHECK(q.counts().expired == 1);
  CHECK(q.counts().delivered == 1);
  q.expire(2.0, 1.0, collect);  // reports it
  CHECK(expired == std::vector<std::uint64_t>{1});
  check_balance(q);
}

TEST_CASE("group queue: a message expires at its publish time plus the retention, exactly") {
  // 3.943617 + 0.5 - 0.5 rounds below 3.943617: at the time the dispatcher wakes for it
  // (publish + retention) the message must go, or the dispatcher would wake at once again.
  GroupQueue q(config(5));
  const double published = 3.943617;
  const double retention = 0.5;
  REQUIRE(published + retention - retention < published);
  q.add(1, 1, 0, published);
  std::vector<std::uint64_t> expired;
  q.expire(published + retention, retention, [&expired](std::uint64_t id) { expired.push_back(id); });
  CHECK(expired == std::vector<std::uint64_t>{1});
  CHECK(!q.oldest_published());
  check_balance(q);
}

TEST_CASE("group queue: partitions are independent queues") {
  GroupQueue q(config(5, false, 2));
  q.add(1, 1, 0, 0.0);
  q.add(2, 2, 1, 0.0);
  CHECK(q.take(1, 0.0)->id == 2);
  CHECK(!q.take(1, 0.0));
  CHECK(q.take(0, 0.0)->id == 1);
}

TEST_CASE("group queue: random operations keep the balance") {
  GroupQueue q(config(3, true, 3));
  std::uint64_t next = 1;
  std::vector<GroupQueue::Delivery> out;
  unsigned state = 12345;
  const auto rnd = [&state](unsigned n) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % n;
  };
  double t = 0;
  for (int step = 0; step < 5000; ++step) {
    t += 0.01;
    switch (rnd(7)) {
      case 0:
      case 1:
        q.add(next, rnd(20), static_cast<int>(rnd(3)), t);
        ++next;
        break;
      case 2: {
        const auto d = q.take(static_cast<int>(rnd(3)), t);
        if (d) out.push_back(*d);
        break;
      }
      case 3:
        if (!out.empty()) {
          const auto d = out[rnd(static_cast<unsigned>(out.size()))];
          if (rnd(2))
            q.ack(d.id, d.token);
          else
            q.fail(d.id, d.token, t);
        }
        break;
      case 4:
        q.advance(static_cast<int>(rnd(3)), t, ignore);
        break;
      case 5:
        if (next > 1) q.lose(1 + rnd(static_cast<unsigned>(next - 1)));
        break;
      case 6:
        q.expire(t, 1.0, ignore);
        break;
    }
    check_balance(q);
  }
}
