#pragma once
// Logging through spdlog. Every line carries the simulated time ("t=12.345678") when a
// simulation is running: the engine installs a clock (set_log_clock), so this layer knows
// nothing of it. Silent below warnings unless --log-level says otherwise; never used per
// request on the hot path.
#include <string>

#include <spdlog/spdlog.h>

namespace archsim {

// Sets the level by name (trace, debug, info, warn, error, off); false when unknown.
bool set_log_level(const std::string& level);
// The name of the level in force (set_log_level takes it back).
std::string log_level_name();
// A warning, unless this process has given the same text already.
void warn_once(const std::string& text);
void setup_logging();

// The simulated time to stamp log lines with, or a negative value when no simulation runs.
using LogClock = double (*)();
// Installs (or, with nullptr, removes) the clock.
void set_log_clock(LogClock clock);

}  // namespace archsim
