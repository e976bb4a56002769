#include <catch2/catch.hpp>

#include "kinds/database/replication_state.hpp"

using namespace archsim::kinds::database;

TEST_CASE("replication: commits, receipt, application and stale reads") {
  ReplicationState s(3);  // replica 0 is the primary
  const auto p1 = s.commit(0, 42);
  const auto p2 = s.commit(0, 7);
  CHECK(p1 == 1);
  CHECK(p2 == 2);
  CHECK_FALSE(s.stale(0, 42));  // the primary has what it committed
  CHECK(s.stale(1, 42));        // not applied on replica 1 yet
  CHECK_FALSE(s.stale(1, 999));  // a key never written cannot be stale
  CHECK(s.receive(1, p1, 42));
  CHECK(s.stale(1, 42));  // received is not applied
  CHECK(s.apply(1, p1, 42));
  CHECK_FALSE(s.stale(1, 42));
  CHECK_FALSE(s.apply(1, p1, 42));  // applying twice changes nothing
  CHECK_FALSE(s.receive(1, p1, 42));
  s.commit(0, 42);  // a newer version of 42
  CHECK(s.stale(1, 42));
}

TEST_CASE("replication: acknowledged writes stay at risk until every healthy replica has them") {
  ReplicationState s(3);
  const std::vector<bool> healthy{true, true, true};
  const auto p1 = s.commit(0, 1);
  s.acknowledge(p1, healthy, 0);
  CHECK(s.at_risk() == 1);
  s.receive(1, p1, 1);
  const auto p2 = s.commit(0, 2);
  s.acknowledge(p2, healthy, 0);
  CHECK(s.at_risk() == 2);  // replica 2 has neither
  s.receive(2, p1, 1);
  s.acknowledge(s.commit(0, 3), {true, true, false}, 0);  // replica 2 unhealthy: only replica 1 counts
  CHECK(s.at_risk() == 2);                                 // replica 1 has p1 only: p2, p3 at risk
  s.receive(1, p2, 2);
  s.receive(1, 3, 3);
  s.acknowledge(s.commit(0, 4), {true, true, false}, 0);
  CHECK(s.at_risk() == 1);  // only p4
}

TEST_CASE("replication: failover promotes the most up-to-date healthy replica and counts lost writes") {
  ReplicationState s(3);
  const std::vector<bool> healthy{true, true, true};
  for (std::uint64_t k = 1; k <= 5; ++k) s.acknowledge(s.commit(0, k), healthy, 0);
  for (std::uint64_t p = 1; p <= 3; ++p) s.receive(1, p, p);
  for (std::uint64_t p = 1; p <= 4; ++p) s.receive(2, p, p);
  CHECK(s.promotion_candidate({false, true, true}) == 2);
  CHECK(s.promotion_candidate({false, true, false}) == 1);
  CHECK(s.promotion_candidate({false, false, false}) == -1);
  CHECK(s.promote(2) == 1);  // position 5 never reached replica 2
  CHECK(s.committed() == 5);  // positions are not given twice: a cache may hold the lost write's
  CHECK(s.applied(2) == 4);  // it applies what it received before taking writes
  s.resync(1, 2);            // the others copy the new primary
  CHECK(s.received(1) == 4);
  CHECK_FALSE(s.stale(1, 4));
  CHECK(s.commit(2, 9) == 6);  // the log goes on from the new primary, after every position given
  CHECK(s.latest_version(5) == 0);  // the lost write of key 5 is gone
}

TEST_CASE("replication: reads go to healthy replicas, the primary only when allowed or alone") {
  std::vector<bool> eligible;
  CHECK(read_eligibility({true, true, true}, 0, false, -1, eligible));
  CHECK(eligible == std::vector<bool>{false, true, true});
  CHECK(read_eligibility({true, true, true}, 0, true, -1, eligible));
  CHECK(eligible == std::vector<bool>{true, true, true});
  CHECK(read_eligibility({true, true, true}, 0, false, 1, eligible));  // a retry avoids replica 1
  CHECK(eligible == std::vector<bool>{false, false, true});
  CHECK(read_eligibility({true, true, false}, 0, false, 1, eligible));  // unless it is the only one
  CHECK(eligible == std::vector<bool>{false, true, false});
  CHECK_FALSE(read_eligibility({true, false, false}, 0, false, -1, eligible));  // fall back on the primary
  CHECK(read_eligibility({true, true, true}, -1, false, -1, eligible));  // during a failover: any healthy one
  CHECK(eligible == std::vector<bool>{true, true, true});
}
