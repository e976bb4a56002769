#include "components/step_runner.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "components/storage.hpp"
#include "engine/host_data.hpp"
#include "scenario/steps.hpp"

namespace archsim {

namespace {

double now() { return sg4::Engine::get_clock(); }

Outcome run_step(StepContext& context, const Step& step) {
  return context.replica.service().run().executor(step).execute(context, step);
}

void run_read(double bytes, StepContext& context) {
  Service& service = context.replica.service();
  if (service.rng().bernoulli(service.spec().buffer_cache_hit_ratio)) {
    // A buffer-cache hit copies the data from memory, on one of the host's cores.
    const double seconds = bytes / service.run().scenario().platform.memory_read_bytes_per_s;
    const double flops = seconds * context.replica.machine().host->get_speed();
    sg4::this_actor::execute(flops);
    HostData::of(context.replica.machine().host)->cpu_flops += flops;
  } else {
    context.replica.storage().read(bytes);
  }
}

// Keeps what a reply says about the data it returned.
void note_reply(StepContext& context, const Message& reply) {
  context.reply_found = reply.found;
  if (reply.version_source >= 0 && reply.status == Outcome::Ok) {
    context.read_version = reply.version;
    context.read_source = reply.version_source;
  }
}

// Waits for the reply to call `id` until `deadline`; stale replies (to calls that timed
// out earlier) are dropped on the way.
Outcome await_reply(StepContext& context, std::uint64_t id, double deadline) {
  context.reply_found = false;
  while (true) {
    const double left = deadline - now();
    if (left <= 0) return Outcome::Timeout;
    Message* reply = context.replies.receive(left);
    if (!reply) return Outcome::Timeout;
    if (reply->id != id) {
      delete reply;
      continue;
    }
    const Outcome outcome = reply->status;
    note_reply(context, *reply);
    delete reply;
    return outcome;
  }
}

// Acquires a connection and sends the request. Returns false (with `call.outcome` set)
// when the call ended before anything was sent. With `relay_token`, the reply goes to the
// replica's relay, which takes the call over just before the request leaves.
bool open_call(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
               double response_bytes, double timeout_s, OpenCall& call, const int* relay_token = nullptr,
               const CallData* data = nullptr) {
  RunContext& run = context.replica.service().run();
  call.target = target;
  call.started_at = now();
  run.recorder().hop_started(call.hop, call.started_at);
  if (!target) {
    call.outcome = Outcome::Unavailable;
    call.done = true;
    run.recorder().hop_ended(call.hop, call.started_at, 0.0, call.outcome);
    return false;
  }
  call.pool = context.replica.pool_for(target->service().index());
  if (call.pool && !call.pool->acquire()) {
    call.pool = nullptr;
    call.outcome = Outcome::PoolTimeout;
    call.done = true;
    run.recorder().hop_ended(call.hop, call.started_at, 0.0, call.outcome);
    return false;
  }
  auto* message = new Message;
  message->id = call.id = run.next_call_id();
  message->reply_to = relay_token ? context.replica.relay_inbox().mailbox() : context.replies.mailbox();
  message->reply_host = context.replica.machine().host;
  message->endpoint = endpoint;
  message->op = context.request.op;
  message->key = context.request.key;
  message->session = context.request.session;
  message->session_ends = context.request.session_ends;
  message->traced = context.request.traced;
  message->request_bytes = request_bytes;
  message->response_bytes = response_bytes;
  message->flow_start = context.request.flow_start;
  message->flow_host = context.request.flow_host;
  if (data) {
    message->version = data->version;
    message->version_source = data->version_source;
    message->ttl_s = data->ttl_s;
    message->origin_at = data->origin_at;
    message->channel = data->channel;
    message->item = data->item;
    if (data->has_key) message->key = data->key;
  }
  call.sent_at = now();
  call.deadline = call.sent_at + timeout_s;
  message->deadline = timeout_s > 0 ? call.deadline : 0;  // 0: a message nobody waits for a reply to
  target->service().call_opened(target->index());
  if (relay_token) context.replica.relay(context, call, *relay_token);
  send_message(target->address(), target->host(), message, request_bytes);
  return true;
}

bool open_step_call(StepContext& context, const Step& step, OpenCall& call) {
  const auto& spec = step.options_as<CallStep>();
  Service& service = context.replica.service().run().service(spec.service);
  const bool write = service.spec().endpoints[static_cast<std::size_t>(spec.endpoint)].write;
  call.hop = spec.hop;
  call.continue_on_error = spec.continue_on_error;
  return open_call(context, service.route(context.request, write), spec.endpoint, spec.request_bytes,
                   spec.response_bytes, spec.timeout_s, call);
}

Outcome settle(bool continue_on_error, Outcome outcome) {
  return (outcome != Outcome::Ok && continue_on_error) ? Outcome::Ok : outcome;
}

// A branch of a parallel step that is not a plain call runs in a helper actor of its own,
// with its own reply mailbox.
struct HelperResult {
  Outcome outcome = Outcome::Failed;  // stays Failed if the helper dies with its host
};

void gather(StepContext& context, std::vector<OpenCall>& calls);

Outcome run_parallel(StepContext& context, const Step& parallel) {
  RandomStream& rng = context.replica.service().rng();
  std::vector<OpenCall> calls;
  calls.reserve(parallel.children.size());
  std::vector<std::pair<sg4::ActorPtr, std::shared_ptr<HelperResult>>> helpers;
  Outcome outcome = Outcome::Ok;

  for (const Step& child : parallel.children) {
    if (child.probability < 1.0 && !rng.bernoulli(child.probability)) continue;
    if (child.kind->sent_in_parallel()) {
      calls.emplace_back();
      if (!open_step_call(context, child, calls.back()) &&
          settle(calls.back().continue_on_error, calls.back().outcome) != Outcome::Ok && outcome == Outcome::Ok)
        outcome = calls.back().outcome;
      continue;
    }
    auto result = std::make_shared<HelperResult>();
    ServiceReplica* replica = &context.replica;
    Message* request = &context.request;
    const Step* step = &child;
    auto actor = replica->spawn_helper("helper", [replica, request, step, result] {
      sg4::Mailbox* mailbox = replica->borrow_helper_mailbox();
      Inbox replies(mailbox);
      replies.bind();
      StepContext helper_context{*replica, replies, *request};
      result->outcome = run_step(helper_context, *step);
      replica->return_helper_mailbox(mailbox);
    });
    helpers.emplace_back(actor, result);
  }

  gather(context, calls);
  for (auto& c : calls)
    if (settle(c.continue_on_error, c.outcome) != Outcome::Ok && outcome == Outcome::Ok) outcome = c.outcome;

  for (auto& [actor, result] : helpers) {
    actor->join();
    if (result->outcome != Outcome::Ok && outcome == Outcome::Ok) outcome = result->outcome;
  }
  return outcome;
}

// Gathers the replies of `calls`, each against its own deadline.
void gather(StepContext& context, std::vector<OpenCall>& calls) {
  while (true) {
    double next_deadline = std::numeric_limits<double>::infinity();
    std::size_t open = 0;
    for (auto& c : calls) {
      if (c.done) continue;
      if (c.deadline <= now()) {
        close_call(context.replica, c, Outcome::Timeout);
        continue;
      }
      ++open;
      next_deadline = std::min(next_deadline, c.deadline);
    }
    if (open == 0) break;
    Message* reply = context.replies.receive(next_deadline - now());
    if (!reply) continue;
    auto it = std::find_if(calls.begin(), calls.end(),
                           [reply](const OpenCall& c) { return !c.done && c.id == reply->id; });
    if (it != calls.end()) {
      close_call(context.replica, *it, reply->status);
      note_reply(context, *reply);
    }
    delete reply;
  }
}

}  // namespace

void close_call(ServiceReplica& caller, OpenCall& call, Outcome outcome) {
  call.done = true;
  call.outcome = outcome;
  if (call.pool) call.pool->release();
  call.target->service().call_closed(call.target->index());
  caller.service().run().recorder().hop_ended(call.hop, call.started_at, now() - call.sent_at, outcome);
}

namespace {
// The work of a cpu_ms step, drawn from the service's stream (0: none).
double draw_cpu_flops(ServiceReplica& replica, const Distribution& cpu_ms) {
  const double ms = cpu_ms.sample(replica.service().rng());
  return ms <= 0 ? 0.0 : ms / 1000.0 * Platform::kReferenceFlops;
}
}  // namespace

void run_cpu(StepContext& context, const Distribution& cpu_ms) {
  const double flops = draw_cpu_flops(context.replica, cpu_ms);
  if (flops <= 0) return;
  sg4::this_actor::execute(flops);
  HostData::of(context.replica.machine().host)->cpu_flops += flops;
}

Outcome call_replica(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
                     double response_bytes, double timeout_s, int hop, const CallData* data) {
  OpenCall call;
  call.hop = hop;
  if (!open_call(context, target, endpoint, request_bytes, response_bytes, timeout_s, call, nullptr, data))
    return call.outcome;
  close_call(context.replica, call, await_reply(context, call.id, call.deadline));
  return call.outcome;
}

std::vector<Outcome> call_replicas(StepContext& context, const std::vector<ServiceReplica*>& targets, int endpoint,
                                   const std::vector<double>& request_bytes, double response_bytes, double timeout_s,
                                   int hop) {
  std::vector<OpenCall> calls(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    calls[i].hop = hop;
    open_call(context, targets[i], endpoint, request_bytes[i], response_bytes, timeout_s, calls[i]);
  }
  gather(context, calls);
  std::vector<Outcome> outcomes;
  outcomes.reserve(calls.size());
  for (const auto& c : calls) outcomes.push_back(c.outcome);
  return outcomes;
}

Outcome send_call(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes, int hop,
                  const CallData* data) {
  OpenCall call;
  call.hop = hop;
  if (!open_call(context, target, endpoint, request_bytes, kControlBytes, 0, call, nullptr, data)) return call.outcome;
  close_call(context.replica, call, Outcome::Ok);
  return Outcome::Ok;
}

Outcome relay_call(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
                   double response_bytes, double timeout_s, int hop, int token) {
  if (context.worker < 0)
    return call_replica(context, target, endpoint, request_bytes, response_bytes, timeout_s, hop);
  OpenCall call;
  call.hop = hop;
  if (!open_call(context, target, endpoint, request_bytes, response_bytes, timeout_s, call, &token))
    return call.outcome;
  return Outcome::Ok;
}

Outcome run_steps(StepContext& context, const std::vector<Step>& steps) {
  RandomStream& rng = context.replica.service().rng();
  for (const Step& step : steps) {
    if (step.probability < 1.0 && !rng.bernoulli(step.probability)) continue;
    const Outcome outcome = run_step(context, step);
    if (outcome != Outcome::Ok || context.forwarded) return outcome;
  }
  return Outcome::Ok;
}

bool runs_threadless(const RunContext& run, const std::vector<Step>& steps) {
  return std::all_of(steps.begin(), steps.end(),
                     [&run](const Step& step) { return run.executor(step).threadless(run, step); });
}

double ThreadlessRun::next(ServiceReplica& replica) {
  Service& service = replica.service();
  RandomStream& rng = service.rng();
  while (!frames_.empty()) {
    Frame& frame = frames_.back();
    if (frame.next == frame.steps->size()) {
      frames_.pop_back();
      continue;
    }
    const Step& step = (*frame.steps)[frame.next++];
    if (step.probability < 1.0 && !rng.bernoulli(step.probability)) continue;
    const ThreadlessStep what = service.run().executor(step).start_threadless(replica, step);
    if (what.group)
      frames_.push_back({what.group, 0});  // `frame` is not used after this
    else if (what.flops > 0)
      return what.flops;
  }
  return 0;
}

namespace {

// The branch a choice step takes, drawn from the service's stream.
const std::vector<Step>& choose_branch(ServiceReplica& replica, const Step& step) {
  const auto& cumulative = step.options_as<ChoiceStep>().cumulative;
  const double u = replica.service().rng().uniform01();
  const auto branch =
      static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end() - 1, u) - cumulative.begin());
  return step.children[branch].children;
}

class CpuExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    run_cpu(context, step.options_as<CpuStep>().cpu_ms);
    return Outcome::Ok;
  }
  bool threadless(const RunContext&, const Step&) const override { return true; }
  ThreadlessStep start_threadless(ServiceReplica& replica, const Step& step) const override {
    return {nullptr, draw_cpu_flops(replica, step.options_as<CpuStep>().cpu_ms)};
  }
};

class ReadExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    run_read(step.options_as<IoStep>().bytes, context);
    return Outcome::Ok;
  }
};

class WriteExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    context.replica.storage().write(step.options_as<IoStep>().bytes);
    return Outcome::Ok;
  }
};

class CallExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    OpenCall call;
    if (!open_step_call(context, step, call)) return settle(call.continue_on_error, call.outcome);
    close_call(context.replica, call, await_reply(context, call.id, call.deadline));
    return settle(call.continue_on_error, call.outcome);
  }
};

class ForwardExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    const auto& spec = step.options_as<CallStep>();
    RunContext& run = context.replica.service().run();
    Service& target = run.service(spec.service);
    context.forwarded = true;
    context.forward_to =
        target.route(context.request, target.spec().endpoints[static_cast<std::size_t>(spec.endpoint)].write);
    context.forward_bytes = spec.request_bytes;
    context.request.endpoint = spec.endpoint;
    context.request.request_bytes = spec.request_bytes;
    if (context.forward_to) run.recorder().hop_forwarded(spec.hop, now());
    return Outcome::Ok;
  }
};

class ParallelExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override { return run_parallel(context, step); }
};

class SequenceExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override { return run_steps(context, step.children); }
  bool threadless(const RunContext& run, const Step& step) const override { return runs_threadless(run, step.children); }
  ThreadlessStep start_threadless(ServiceReplica&, const Step& step) const override { return {&step.children, 0}; }
};

class ChoiceExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    return run_steps(context, choose_branch(context.replica, step));
  }
  bool threadless(const RunContext& run, const Step& step) const override {
    return std::all_of(step.children.begin(), step.children.end(),
                       [&run](const Step& branch) { return runs_threadless(run, branch.children); });
  }
  ThreadlessStep start_threadless(ServiceReplica& replica, const Step& step) const override {
    return {&choose_branch(replica, step), 0};
  }
};

}  // namespace

void add_generic_step_executors(RuntimeCatalog& catalog) {
  static const CpuExecutor cpu;
  static const ReadExecutor read;
  static const WriteExecutor write;
  static const CallExecutor call;
  static const ForwardExecutor forward;
  static const ParallelExecutor parallel;
  static const SequenceExecutor sequence;
  static const ChoiceExecutor choice;
  catalog.add_step("cpu_ms", cpu);
  catalog.add_step("read_kb", read);
  catalog.add_step("write_kb", write);
  catalog.add_step("call", call);
  catalog.add_step("forward", forward);
  catalog.add_step("parallel", parallel);
  catalog.add_step("sequence", sequence);
  catalog.add_step("choice", choice);
}

}  // namespace archsim
