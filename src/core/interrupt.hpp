#pragma once
// Ctrl-C: the first SIGINT (or SIGTERM) asks the running command to stop cleanly (a
// simulation stops at its next check, writes nothing and says so); a second one kills the
// process at once.
namespace archsim {

void install_interrupt_handler();
bool interrupted();
// Exit status of an interrupted command (128 + SIGINT).
constexpr int kExitInterrupted = 130;

}  // namespace archsim
