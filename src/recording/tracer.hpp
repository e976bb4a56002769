#pragma once
// Request traces in the Chrome Trace Event format (open trace.json in Perfetto or
// chrome://tracing): one track (a "process") per client population and per service
// replica, and one asynchronous span per hop of each sampled request, from its arrival at
// a replica to its reply (or forward, rejection, reset...). Failed spans carry their cause
// and an instant "failed" marker. Only every N-th client request is traced, and the number
// of events is capped, so memory stays bounded.
#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/outcome.hpp"

namespace archsim {

class Tracer {
 public:
  static constexpr std::size_t kMaxEvents = 2000000;

  // Traces every `sample_every`-th client request (0: tracing off).
  explicit Tracer(std::uint64_t sample_every = 0) : every_(sample_every) {}
  bool enabled() const { return every_ > 0; }
  // Whether client request number `n` (counting from 0) is traced.
  bool samples(std::uint64_t n) const { return every_ > 0 && n % every_ == 0 && events_.size() < kMaxEvents; }

  // A new track; tracks are listed by `order`, then by creation.
  int track(const std::string& name, int order = 1);
  void begin(int track, std::uint64_t span, const std::string& name, double t);
  void end(int track, std::uint64_t span, double t, Outcome outcome);

  void write(std::ostream& out, const std::string& scenario) const;
  std::size_t events() const { return events_.size(); }
  bool truncated() const { return truncated_; }

 private:
  struct Event {
    char phase;  // 'b' or 'e'
    int track;
    int name;
    std::uint64_t span;
    double t;
    Outcome outcome;
  };
  int intern(const std::string& name);

  std::uint64_t every_;
  std::vector<std::string> tracks_;
  std::vector<int> track_order_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> name_index_;
  std::vector<Event> events_;
  std::unordered_map<std::uint64_t, int> open_names_;  // (track, span) -> name, for the end event
  bool truncated_ = false;
};

}  // namespace archsim
