#pragma once
// Runs archsim itself in child processes: SimGrid allows one simulation per process, so
// commands that need several runs (compare, sweep, capacity) start `archsim run ...` once
// per run, a few at a time. Every run is deterministic, so results do not depend on how
// many run at once.
#include <string>
#include <vector>

namespace archsim {

struct ChildRun {
  std::vector<std::string> args;  // after the program name, e.g. {"run", "s.json", "--out", "d"}
  std::string label;              // for messages
};

// Path of the running archsim executable.
std::string self_executable();

// Thrown when Ctrl-C stopped a batch of runs.
struct Interrupted {};

// Runs every job, at most `parallel` at once; returns each job's exit status (in order).
// Children inherit stderr; their stdout is discarded. Each job is an `archsim run` whose
// scenario the caller has validated and whose warnings it has given: the children log at
// this process's level, without giving those warnings again (once per run would bury them).
std::vector<int> run_children(const std::vector<ChildRun>& runs, int parallel);

// In a child run: arranges that this process gets SIGTERM when the archsim that started it
// ends, however it ends (SIGKILL too), so that no run goes on writing where nobody waits for
// it. Does nothing in a process a user started. Call it after the interrupt handler is set.
void stop_with_parent();

// Throws for the first run that did not succeed: InputError when it refused its input
// (exit 2: its own message, on the inherited stderr, says why), Interrupted when it was
// stopped, std::runtime_error otherwise.
void check_children(const std::vector<int>& status, const std::vector<ChildRun>& runs);

// `text` as one word of a shell command line (quoted when it needs to be).
std::string shell_quote(const std::string& text);
// The command line of a run as one shell-quoted string (for job lists).
std::string shell_command(const std::string& program, const std::vector<std::string>& args);

}  // namespace archsim
