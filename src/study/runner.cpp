#include "study/runner.hpp"

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "scenario/diagnostics.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace archsim {

std::string self_executable() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw std::runtime_error("cannot find the archsim executable (/proc/self/exe)");
  path[n] = '\0';
  return path;
}

namespace {

// Tells a child which process started it (see stop_with_parent).
constexpr const char* kParentVariable = "ARCHSIM_PARENT_PID";

pid_t spawn(const std::string& program, const std::vector<std::string>& args) {
  // The environment as it is, with this process as the parent.
  const std::string parent = std::string(kParentVariable) + "=" + std::to_string(::getpid());
  const std::string name = std::string(kParentVariable) + "=";
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, name.c_str(), name.size()) != 0) envp.push_back(*e);
  envp.push_back(const_cast<char*>(parent.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  return pid;
}
}  // namespace

void stop_with_parent() {
  const char* value = std::getenv(kParentVariable);
  if (value == nullptr) return;
  const std::string parent = value;
  ::unsetenv(kParentVariable);  // for this process alone, not for what it starts
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // A parent that ended before the line above sent nothing: this process now has another.
  if (std::to_string(::getppid()) != parent) ::raise(SIGTERM);
}

std::vector<int> run_children(const std::vector<ChildRun>& runs, int parallel) {
  const std::string program = self_executable();
  const std::vector<std::string> child_options = {"--log-level", log_level_name(), "--no-scenario-warnings"};
  std::vector<int> status(runs.size(), -1);
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  if (parallel < 1) parallel = 1;
  bool forwarded = false;
  while (next < runs.size() || !running.empty()) {
    // Once interrupted, start nothing new, stop the runs in progress and wait for them. A
    // Ctrl-C reaches the children too; a signal sent to this process alone (kill PID) is
    // passed on, so that they stop as it says they did.
    if (interrupted()) {
      next = runs.size();
      if (!forwarded)
        for (const auto& [pid, index] : running) kill(pid, SIGTERM);
      forwarded = true;
    }
    while (next < runs.size() && static_cast<int>(running.size()) < parallel) {
      std::vector<std::string> args = runs[next].args;
      args.insert(args.end(), child_options.begin(), child_options.end());
      running[spawn(program, args)] = next;
      ++next;
    }
    int wstatus = 0;
    const pid_t done = waitpid(-1, &wstatus, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waiting for a run: ") + std::strerror(errno));
    }
    auto it = running.find(done);
    if (it == running.end()) continue;
    status[it->second] = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    running.erase(it);
  }
  if (interrupted()) throw Interrupted();
  return status;
}

void check_children(const std::vector<int>& status, const std::vector<ChildRun>& runs) {
  for (std::size_t k = 0; k < status.size(); ++k) {
    if (status[k] == 0) continue;
    if (status[k] == 2) throw InputError(runs[k].label, "", "its run refused the input (the reason is above)");
    if (status[k] == 130) throw Interrupted();
    throw std::runtime_error(runs[k].label + ": its run failed (exit status " + std::to_string(status[k]) + ")");
  }
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@+") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_command(const std::string& program, const std::vector<std::string>& args) {
  std::string line = shell_quote(program);
  for (const auto& a : args) line += " " + shell_quote(a);
  return line;
}

}  // namespace archsim
