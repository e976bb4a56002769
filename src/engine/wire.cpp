#include "engine/wire.hpp"

#include <algorithm>

#include <simgrid/kernel/Timer.hpp>

#include "engine/host_data.hpp"
#include "engine/inbox.hpp"

namespace archsim {

simgrid::xbt::Extension<sg4::Host, Wire::End> Wire::End::EXTENSION_ID;

Wire::~Wire() {
  for (auto& lane : lanes_) {
    if (lane->timer) lane->timer->remove();
    for (Held& h : lane->queue) delete h.message;
  }
  Inbox::forget_all_transfers();
}

void Wire::set_regions(std::size_t count, std::vector<double> one_way_s) {
  regions_ = count;
  region_one_way_s_ = std::move(one_way_s);
}

void Wire::attach(sg4::Host* host, double edge_s, double loopback_s, int region) {
  if (!End::EXTENSION_ID.valid()) End::EXTENSION_ID = sg4::Host::extension_create<End>();
  auto* end = host->extension<End>();
  if (end == nullptr) {
    end = new End;
    host->extension_set(end);  // the host owns it
  }
  end->wire = this;
  end->edge_s = edge_s;
  end->loopback_s = loopback_s;
  end->region = region;
}

double Wire::latency(const sg4::Host* from, const sg4::Host* to) {
  const End* a = from->extension<End>();
  const End* b = to->extension<End>();
  if (from == to) return a ? a->loopback_s : 0.0;
  double latency = (a ? a->edge_s : 0.0) + (b ? b->edge_s : 0.0);
  if (a && b && a->region != b->region)
    latency += a->wire->region_one_way_s_[static_cast<std::size_t>(a->region) * a->wire->regions_ +
                                          static_cast<std::size_t>(b->region)];
  return latency;
}

Wire::Lane& Wire::lane(double latency) {
  // Few distinct latencies (loopback, datacenter, one per client round trip): a short scan.
  for (auto& l : lanes_)
    if (l->latency == latency) return *l;
  lanes_.push_back(std::make_unique<Lane>());
  lanes_.back()->latency = latency;
  return *lanes_.back();
}

void Wire::arm(Lane& lane) {
  if (lane.timer) return;  // armed already (for the head: lanes are FIFO)
  lane.armed_for = lane.queue.front().due;
  lane.timer = simgrid::kernel::timer::Timer::set(lane.armed_for, [this, l = &lane] {
    l->timer = nullptr;  // SimGrid frees a timer once it has fired
    release(*l);
  });
}

void Wire::release(Lane& lane) {
  const double now = sg4::Engine::get_clock();
  while (!lane.queue.empty() && lane.queue.front().due <= now) {
    Held held = std::move(lane.queue.front());
    lane.queue.pop_front();
    start(held, Inbox::of(held.mailbox));  // looked up now: an inbox may have gone meanwhile
  }
  if (!lane.queue.empty()) arm(lane);
}

void Wire::hold(sg4::Mailbox* to, sg4::Host* from, sg4::Host* destination, Message* message, double bytes,
                bool long_message) {
  End* end = from->extension<End>();
  Held held{0, to, message, from, destination, bytes, long_message};
  const double latency = end && end->wire ? Wire::latency(from, destination) : 0.0;
  if (latency <= 0) {  // off any wire, or nothing to hold it for
    start(held, Inbox::of(to));
    return;
  }
  Wire& wire = *end->wire;
  held.due = sg4::Engine::get_clock() + latency;
  Lane& lane = wire.lane(latency);
  lane.queue.push_back(std::move(held));
  if (lane.queue.size() == 1) wire.arm(lane);
}

void Wire::start(Held& h, Inbox* inbox) {
  Message* message = h.message;
  const bool ends_up = up(h.from) && up(h.to);
  const bool separated =
      h.from != h.to && (partitioned(h.from, h.to) || !connected(h.from) || !connected(h.to));
  // The caller of a long message hung up while it was on its way: the receiving side would
  // cut it off at once.
  const bool abandoned = caller_hung_up(*message, h.long_message, sg4::Engine::get_clock());
  if (!ends_up || separated || abandoned) {
    delete message;  // lost: the sender only learns of it by its timeout
    return;
  }
  if (inbox == nullptr) {
    delete message;  // nobody receives there
    return;
  }
  if (h.bytes <= 0) {  // nothing for the network to carry
    inbox->hand_over(message);
    return;
  }
  if (h.from != h.to) {
    if (auto* data = HostData::of(h.from)) data->nic_out_bytes += h.bytes;
    if (auto* data = HostData::of(h.to)) data->nic_in_bytes += h.bytes;
  }
  // The bytes as a host-to-host transfer (at least one byte: see kMinimumWireBytes), which
  // the receiving inbox awaits.
  message->body = sg4::Comm::sendto_init(h.from, h.to);
  message->body->set_payload_size(static_cast<std::uint64_t>(std::max(h.bytes, kMinimumWireBytes)));
  // Awaited before it starts: starting lets other actors run (from a sender), and the
  // transfer may fail meanwhile.
  inbox->await(message, h.long_message);
  message->body->detach();  // starts it; nobody has to wait for it to end
}

void Wire::lose_traffic_of(const sg4::Host* host) {
  for (auto& lane : lanes_) {
    auto& q = lane->queue;
    const auto kept = std::stable_partition(q.begin(), q.end(), [host](const Held& h) {
      return h.from != host && h.to != host;
    });
    for (auto it = kept; it != q.end(); ++it) delete it->message;
    q.erase(kept, q.end());
    if (lane->timer && (q.empty() || q.front().due != lane->armed_for)) {
      lane->timer->remove();
      lane->timer = nullptr;
      if (!q.empty()) arm(*lane);
    }
  }
}

std::size_t Wire::held() const {
  std::size_t n = 0;
  for (const auto& lane : lanes_) n += lane->queue.size();
  return n;
}

}  // namespace archsim
