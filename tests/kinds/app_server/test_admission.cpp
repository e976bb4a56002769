// The app server's admission (accept backlog and worker pool), without an engine.
#include <catch2/catch.hpp>

#include "components/admission.hpp"

using namespace archsim;

TEST_CASE("admission: refused while down, rejected beyond workers + queue_limit, workers on demand") {
  Admission a(2, 3);  // 2 workers, 3 more may wait
  CHECK(a.decide(false) == Admission::Verdict::Refuse);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(a.decide(true) == Admission::Verdict::Admit);
    a.admitted();
  }
  CHECK(a.in_system() == 5);
  CHECK(a.decide(true) == Admission::Verdict::Reject);  // the backlog is full
  CHECK(a.decide(false) == Admission::Verdict::Refuse);  // down wins over full
  a.left();
  CHECK(a.decide(true) == Admission::Verdict::Admit);
  // A worker starts only when more requests wait than workers are idle, up to `workers`.
  CHECK(a.needs_worker(1, 0, 0));
  CHECK_FALSE(a.needs_worker(1, 1, 1));
  CHECK(a.needs_worker(2, 1, 1));
  CHECK_FALSE(a.needs_worker(5, 0, 2));
  a.reset();  // the process died
  CHECK(a.in_system() == 0);
}
