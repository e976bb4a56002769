#pragma once
// Admission of requests into a server process, as its accept backlog and worker pool
// decide it: a request is refused while the process is not up (connection refused), and
// rejected when `workers + queue_limit` requests are already inside (a full backlog);
// otherwise it waits in a FIFO queue for one of `workers` workers, started on demand: a
// new one only when more requests wait than workers are idle. Plain class: the replica
// feeds it, tests drive it without an engine.
namespace archsim {

class Admission {
 public:
  enum class Verdict { Admit, Refuse, Reject };

  Admission(int workers, int queue_limit) : workers_(workers), capacity_(workers + queue_limit) {}

  Verdict decide(bool process_up) const {
    if (!process_up) return Verdict::Refuse;
    return in_system_ >= capacity_ ? Verdict::Reject : Verdict::Admit;
  }
  void admitted() { ++in_system_; }
  void left() { --in_system_; }
  // The process died: nobody is inside any more.
  void reset() { in_system_ = 0; }
  int in_system() const { return in_system_; }
  // Whether one more worker should start, with `waiting` requests queued, `idle` workers
  // waiting for work and `running` workers in all.
  bool needs_worker(int waiting, int idle, int running) const { return waiting > idle && running < workers_; }

 private:
  int workers_;
  int capacity_;
  int in_system_ = 0;
};

}  // namespace archsim
