#include "components/access_log.hpp"

#include <cstdlib>

#include "core/text.hpp"

namespace archsim {

AccessLog::AccessLog(const ReplaySpec& spec, const std::vector<OperationSpec>& operations) : spec_(spec) {
  for (std::size_t o = 0; o < operations.size(); ++o) operations_.emplace(operations[o].name, static_cast<int>(o));
  // A loop lasts the log's span and one mean gap, so that its last line and the next
  // loop's first are as far apart as two lines on average.
  period_s_ = spec.period_s();
  open();
}

bool AccessLog::open() {
  in_.close();
  in_.clear();
  in_.open(spec_.path);
  std::string header;
  if (!std::getline(in_, header)) return false;
  if (!header.empty() && header.back() == '\r') header.pop_back();
  sized_ = split_csv_line(header).size() == 4;
  return true;
}

bool AccessLog::next(Entry& entry) {
  std::string line;
  while (true) {
    if (!std::getline(in_, line)) {
      if (!spec_.loop || !open()) return false;
      offset_s_ += period_s_;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) break;
  }
  const auto fields = split_csv_line(line);
  if (fields.size() < 3) return false;
  const auto op = operations_.find(fields[1]);
  if (op == operations_.end()) return false;
  entry.at_s = (std::strtod(fields[0].c_str(), nullptr) - spec_.first_time_s + offset_s_) / spec_.speed;
  entry.op = op->second;
  entry.key = std::strtoull(fields[2].c_str(), nullptr, 10);
  entry.response_bytes = sized_ && fields.size() > 3 && !fields[3].empty() ? std::strtod(fields[3].c_str(), nullptr) * 1024.0 : -1;
  return true;
}

}  // namespace archsim
