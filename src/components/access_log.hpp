#pragma once
// A client population's recorded access log, read as the run goes (one line at a time:
// memory does not grow with the log). The builder has checked every line (see
// ReplaySpec in scenario/scenario.hpp); a line that no longer parses stops the replay.
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim {

class AccessLog {
 public:
  struct Entry {
    double at_s = 0;            // simulated time of the request
    int op = -1;                // index in the client's operations
    std::uint64_t key = 0;
    double response_bytes = -1;  // from size_kb; < 0: the operation's response_kb
  };

  AccessLog(const ReplaySpec& spec, const std::vector<OperationSpec>& operations);
  // The next request; false once the log is over (and not looping).
  bool next(Entry& entry);

 private:
  bool open();

  ReplaySpec spec_;
  std::map<std::string, int> operations_;
  std::ifstream in_;
  bool sized_ = false;
  double offset_s_ = 0;  // log seconds added by the loops so far
  double period_s_ = 0;  // log seconds from one loop to the next
};

}  // namespace archsim
