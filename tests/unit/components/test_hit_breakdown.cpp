#include <catch2/catch.hpp>

#include "components/hit_breakdown.hpp"

using namespace archsim;

TEST_CASE("hit breakdown: by operation and by the key's popularity decile in its client's key space") {
  Scenario s;
  ClientSpec a;
  a.name = "a";
  a.operations = {{"read", 1, 0, 0, 0}, {"write", 1, 0, 0, 0}};
  a.keys.count = 100;
  ClientSpec b;  // its keys are 1000 .. 1019
  b.name = "b";
  b.operations = {{"asset", 1, 0, 0, 0}};
  b.keys.count = 20;
  b.keys.first = 1000;
  s.clients = {a, b};
  HitBreakdown h(s);
  h.count(0, 0, true);      // a's most popular key: decile 0
  h.count(0, 5, false);     // decile 0
  h.count(1, 99, false);    // a's least popular: decile 9
  h.count(2, 1019, true);   // b's least popular: decile 9
  h.count(2, 1002, true);   // b's rank 2 of 20: decile 1
  h.count(2, 7, true);      // below b's first key: no decile
  h.count(-1, 0, true);     // no operation: not counted
  const auto ops = h.by_operation("gets");
  CHECK(ops["read"]["gets"] == 2);
  CHECK(ops["read"]["hit_ratio"] == Approx(0.5));
  CHECK(ops["write"]["hit_ratio"] == Approx(0.0));
  CHECK(ops["asset"]["gets"] == 3);
  const auto deciles = h.by_decile();
  REQUIRE(deciles.size() == 10);
  CHECK(deciles[0].get<double>() == Approx(0.5));
  CHECK(deciles[1].get<double>() == Approx(1.0));
  CHECK(deciles[9].get<double>() == Approx(0.5));
  CHECK(deciles[5].is_null());
}
