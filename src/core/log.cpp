#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <set>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace archsim {

namespace {
std::atomic<LogClock> g_clock{nullptr};

class SimulatedTimeFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    char text[48];
    const LogClock clock = g_clock.load();
    const double t = clock ? clock() : -1.0;
    if (t >= 0)
      std::snprintf(text, sizeof text, "t=%.6f", t);
    else
      std::snprintf(text, sizeof text, "t=-");
    dest.append(text, text + std::char_traits<char>::length(text));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SimulatedTimeFlag>(); }
};
}  // namespace

void set_log_clock(LogClock clock) { g_clock.store(clock); }

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("archsim");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<SimulatedTimeFlag>('*').set_pattern("[%*] [%^%l%$] %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

bool set_log_level(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  return true;
}

std::string log_level_name() {
  const auto name = spdlog::level::to_string_view(spdlog::get_level());
  return std::string(name.data(), name.size());
}

void warn_once(const std::string& text) {
  static std::set<std::string> given;
  if (given.insert(text).second) spdlog::warn("{}", text);
}

}  // namespace archsim
