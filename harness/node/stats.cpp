#include "node/stats.hpp"

namespace hopcost {

NodeCounters NodeCounters::operator-(const NodeCounters& e) const {
  NodeCounters d;
  d.handshakes_server = handshakes_server - e.handshakes_server;
  d.handshakes_client = handshakes_client - e.handshakes_client;
  d.handshake_cpu_ns_server = handshake_cpu_ns_server - e.handshake_cpu_ns_server;
  d.handshake_cpu_ns_client = handshake_cpu_ns_client - e.handshake_cpu_ns_client;
  d.messages = messages - e.messages;
  d.bytes_read = bytes_read - e.bytes_read;
  d.bytes_written = bytes_written - e.bytes_written;
  for (int k = 0; k < kErrorKinds; ++k) d.errors.by_kind[k] = errors.by_kind[k] - e.errors.by_kind[k];
  return d;
}

void NodeStats::add_error(ErrorKind kind, std::string_view detail) {
  const auto k = static_cast<int>(kind);
  if (errors_[k].fetch_add(1, std::memory_order_relaxed) == 0) {
    std::lock_guard lock(mutex_);
    first_error_[k] = std::string(detail);
  }
}

void NodeStats::note_negotiated(const Negotiated& n) {
  if (has_negotiated_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mutex_);
  if (!negotiated_) negotiated_ = n;
  has_negotiated_.store(true, std::memory_order_relaxed);
}

NodeCounters NodeStats::snapshot() const {
  constexpr auto r = std::memory_order_relaxed;
  NodeCounters c;
  c.handshakes_server = handshakes_server_.load(r);
  c.handshakes_client = handshakes_client_.load(r);
  c.handshake_cpu_ns_server = handshake_cpu_ns_server_.load(r);
  c.handshake_cpu_ns_client = handshake_cpu_ns_client_.load(r);
  c.messages = messages_.load(r);
  c.bytes_read = bytes_read_.load(r);
  c.bytes_written = bytes_written_.load(r);
  for (int k = 0; k < kErrorKinds; ++k) c.errors.by_kind[k] = errors_[k].load(r);
  return c;
}

std::optional<Negotiated> NodeStats::negotiated() const {
  std::lock_guard lock(mutex_);
  return negotiated_;
}

std::string NodeStats::first_error(ErrorKind kind) const {
  std::lock_guard lock(mutex_);
  return first_error_[static_cast<int>(kind)];
}

}  // namespace hopcost
