#include "recording/tracer.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace archsim {

namespace {
std::uint64_t key(int track, std::uint64_t span) { return (static_cast<std::uint64_t>(track) << 48) ^ span; }
}  // namespace

int Tracer::track(const std::string& name, int order) {
  tracks_.push_back(name);
  track_order_.push_back(order);
  return static_cast<int>(tracks_.size());
}

int Tracer::intern(const std::string& name) {
  auto it = name_index_.find(name);
  if (it != name_index_.end()) return it->second;
  names_.push_back(name);
  name_index_.emplace(name, static_cast<int>(names_.size()) - 1);
  return static_cast<int>(names_.size()) - 1;
}

void Tracer::begin(int track, std::uint64_t span, const std::string& name, double t) {
  if (events_.size() >= kMaxEvents) {
    truncated_ = true;
    return;
  }
  const int n = intern(name);
  events_.push_back({'b', track, n, span, t, Outcome::Ok});
  open_names_[key(track, span)] = n;
}

void Tracer::end(int track, std::uint64_t span, double t, Outcome outcome) {
  auto it = open_names_.find(key(track, span));
  if (it == open_names_.end()) return;  // its begin was not recorded
  events_.push_back({'e', track, it->second, span, t, outcome});
  open_names_.erase(it);
}

void Tracer::write(std::ostream& out, const std::string& scenario) const {
  // Written event by event: a trace can be large.
  auto id_text = [](std::uint64_t span) {
    char text[32];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(span));
    return std::string(text);
  };
  out << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << nlohmann::json({{"scenario", scenario},
                                                                          {"sample_every", every_},
                                                                          {"truncated", truncated_}})
                                                          .dump()
      << ",\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const nlohmann::json& event) {
    out << (first ? "" : ",\n") << event.dump();
    first = false;
  };
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    emit({{"ph", "M"}, {"name", "process_name"}, {"pid", i + 1}, {"tid", 0}, {"args", {{"name", tracks_[i]}}}});
    emit({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", i + 1}, {"tid", 0}, {"args", {{"sort_index", track_order_[i] * 100000 + static_cast<int>(i)}}}});
  }
  for (const Event& e : events_) {
    nlohmann::json event = {{"ph", std::string(1, e.phase)},
                            {"cat", "request"},
                            {"name", names_[static_cast<std::size_t>(e.name)]},
                            {"pid", e.track},
                            {"tid", 0},
                            {"ts", e.t * 1e6},
                            {"id2", {{"local", id_text(e.span)}}}};
    if (e.phase == 'e') {
      event["args"] = {{"outcome", to_string(e.outcome)}};
      if (e.outcome != Outcome::Ok) event["cname"] = "terrible";
    }
    emit(event);
    if (e.phase == 'e' && e.outcome != Outcome::Ok)
      emit({{"ph", "i"},
            {"s", "p"},
            {"name", std::string("failed: ") + to_string(e.outcome)},
            {"pid", e.track},
            {"tid", 0},
            {"ts", e.t * 1e6},
            {"args", {{"span", names_[static_cast<std::size_t>(e.name)]}}}});
  }
  out << "\n]}\n";
}

}  // namespace archsim
