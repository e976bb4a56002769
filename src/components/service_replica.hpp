#pragma once
// One running copy of a service on a host: a thread-per-request server. An acceptor actor
// takes requests off the replica's inbox; when more requests wait than the configured
// `queue_limit` beyond its workers, an arrival is rejected at once (like a full accept
// backlog); otherwise it joins a FIFO queue served by up to `workers` worker actors
// (started on demand, kept idle afterwards). A worker runs the endpoint's steps and sends
// the reply. Outgoing connection pools (one per target service) belong to the replica.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/inbox.hpp"
#include "platform/platform.hpp"

namespace archsim {

class Service;
class Storage;

// Connections from one replica to one target service; a call holds one for its duration.
class ConnectionPool {
 public:
  ConnectionPool(int target, int size, double timeout_s)
      : target_(target), timeout_s_(timeout_s), slots_(sg4::Semaphore::create(static_cast<unsigned>(size))) {}
  int target() const { return target_; }
  // Waits for a free connection; false when none frees up within the pool's timeout.
  bool acquire() { return !slots_->acquire_timeout(timeout_s_); }
  void release() { slots_->release(); }

 private:
  int target_;
  double timeout_s_;
  sg4::SemaphorePtr slots_;
};

class ServiceReplica {
 public:
  ServiceReplica(Service& service, int index, const Platform::Machine& machine, Storage& storage);
  ~ServiceReplica();

  void start();

  sg4::Mailbox* address() const { return inbox_.mailbox(); }
  const std::string& name() const { return name_; }
  Service& service() { return service_; }
  const Platform::Machine& machine() const { return machine_; }
  Storage& storage() { return storage_; }
  // The pool for calls to `target_service`, or nullptr when calls to it are not pooled.
  ConnectionPool* pool_for(int target_service);
  // A reply mailbox for a helper actor of a parallel step; give it back when done.
  sg4::Mailbox* borrow_helper_mailbox();
  void return_helper_mailbox(sg4::Mailbox* mailbox);

 private:
  struct Worker {
    int index;
    std::unique_ptr<Inbox> replies;
  };
  struct Waiting {
    Message* request;
    double arrived_at;
  };

  void accept_loop();
  void work_loop(Worker& worker);
  void spawn_worker();

  Service& service_;
  int index_;
  std::string name_;
  const Platform::Machine& machine_;
  Storage& storage_;
  Inbox inbox_;
  std::deque<Waiting> queue_;
  sg4::SemaphorePtr work_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int idle_workers_ = 0;
  int in_system_ = 0;
  std::vector<ConnectionPool> pools_;
  std::vector<sg4::Mailbox*> helper_mailboxes_;
  int helper_mailboxes_created_ = 0;
};

}  // namespace archsim
