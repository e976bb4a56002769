#include "core/log.hpp"

#include <cstdio>

#include <simgrid/s4u/Engine.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace archsim {

namespace {
class SimulatedTimeFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    char text[48];
    if (simgrid::s4u::Engine::has_instance())
      std::snprintf(text, sizeof text, "t=%.6f", simgrid::s4u::Engine::get_clock());
    else
      std::snprintf(text, sizeof text, "t=-");
    dest.append(text, text + std::char_traits<char>::length(text));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SimulatedTimeFlag>(); }
};
}  // namespace

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

}  // namespace archsim
