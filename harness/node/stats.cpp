#include "node/stats.hpp"

#include <fmt/format.h>

namespace hopcost {

SideCounters SideCounters::operator-(const SideCounters& e) const {
  SideCounters d;
  d.handshakes = handshakes - e.handshakes;
  d.handshake_cpu_ns = handshake_cpu_ns - e.handshake_cpu_ns;
  d.handshake_bytes = handshake_bytes - e.handshake_bytes;
  d.wire_bytes = wire_bytes - e.wire_bytes;
  d.app_bytes = app_bytes - e.app_bytes;
  d.record_cpu_ns = record_cpu_ns - e.record_cpu_ns;
  d.handshake_errors = handshake_errors - e.handshake_errors;
  d.resumed = resumed - e.resumed;
  d.resumed_cpu_ns = resumed_cpu_ns - e.resumed_cpu_ns;
  d.resumed_bytes = resumed_bytes - e.resumed_bytes;
  d.sessions_offered = sessions_offered - e.sessions_offered;
  d.early_accepted = early_accepted - e.early_accepted;
  d.early_rejected = early_rejected - e.early_rejected;
  return d;
}

NodeCounters NodeCounters::operator-(const NodeCounters& e) const {
  NodeCounters d;
  d.server = server - e.server;
  d.client = client - e.client;
  d.messages = messages - e.messages;
  for (int k = 0; k < kErrorKinds; ++k) d.errors.by_kind[k] = errors.by_kind[k] - e.errors.by_kind[k];
  d.exhausted = exhausted - e.exhausted;
  d.upstream_opened = upstream_opened - e.upstream_opened;
  d.upstream_reuses = upstream_reuses - e.upstream_reuses;
  d.upstream_retries = upstream_retries - e.upstream_retries;
  d.upstream_pool_peak = upstream_pool_peak;  // a level: the later one
  d.guard = guard - e.guard;
  return d;
}

SideCounters NodeStats::AtomicSide::load() const {
  SideCounters c;
  c.handshakes = handshakes.load(kRelaxed);
  c.handshake_cpu_ns = handshake_cpu_ns.load(kRelaxed);
  c.handshake_bytes = handshake_bytes.load(kRelaxed);
  c.wire_bytes = wire_bytes.load(kRelaxed);
  c.app_bytes = app_bytes.load(kRelaxed);
  c.record_cpu_ns = record_cpu_ns.load(kRelaxed);
  c.handshake_errors = handshake_errors.load(kRelaxed);
  c.resumed = resumed.load(kRelaxed);
  c.resumed_cpu_ns = resumed_cpu_ns.load(kRelaxed);
  c.resumed_bytes = resumed_bytes.load(kRelaxed);
  c.sessions_offered = sessions_offered.load(kRelaxed);
  c.early_accepted = early_accepted.load(kRelaxed);
  c.early_rejected = early_rejected.load(kRelaxed);
  return c;
}

void NodeStats::add_error(ErrorKind kind, std::string_view detail) {
  const auto k = static_cast<int>(kind);
  if (errors_[k].fetch_add(1, kRelaxed) == 0) {
    std::lock_guard lock(mutex_);
    first_error_[k] = std::string(detail);
  }
  if (is_exhaustion(detail) && exhausted_.fetch_add(1, kRelaxed) == 0) {
    std::lock_guard lock(mutex_);
    first_exhausted_ = std::string(detail);
  }
}

bool is_exhaustion(std::string_view detail) {
  // strerror's texts for EMFILE, ENFILE, ENOMEM and ENOBUFS, as error_code::message()
  // gives them, and std::bad_alloc's.
  for (std::string_view text : {"Too many open files", "Cannot allocate memory", "No buffer space available", "bad_alloc"})
    if (detail.find(text) != std::string_view::npos) return true;
  return false;
}

void NodeStats::note_negotiated(TlsSide side, const Negotiated& n) {
  const size_t i = side == TlsSide::server ? 0 : 1;
  if (has_negotiated_[i].load(kRelaxed)) return;
  std::lock_guard lock(mutex_);
  if (!negotiated_[i]) negotiated_[i] = n;
  has_negotiated_[i].store(true, kRelaxed);
}

void NodeStats::add_timeout(Timeout t, double seconds) {
  timeouts_[static_cast<int>(t)].fetch_add(1, kRelaxed);
  if (t != Timeout::idle)
    add_error(ErrorKind::timeout, fmt::format("{} timeout ({:g} s)", kTimeoutNames[static_cast<int>(t)], seconds));
}

NodeCounters NodeStats::snapshot() const {
  NodeCounters c;
  c.server = server_.load();
  c.client = client_.load();
  c.messages = messages_.load(kRelaxed);
  for (int k = 0; k < kErrorKinds; ++k) c.errors.by_kind[k] = errors_[k].load(kRelaxed);
  c.exhausted = exhausted_.load(kRelaxed);
  c.upstream_opened = upstream_opened_.load(kRelaxed);
  c.upstream_reuses = upstream_reuses_.load(kRelaxed);
  c.upstream_retries = upstream_retries_.load(kRelaxed);
  c.upstream_pool_peak = upstream_pool_peak_.load(kRelaxed);
  for (int i = 0; i < kRefusals; ++i) c.guard.refused[i] = refused_[i].load(kRelaxed);
  for (int i = 0; i < kTimeouts; ++i) c.guard.timeouts[i] = timeouts_[i].load(kRelaxed);
  return c;
}

std::optional<Negotiated> NodeStats::negotiated(TlsSide side) const {
  std::lock_guard lock(mutex_);
  return negotiated_[side == TlsSide::server ? 0 : 1];
}

std::string NodeStats::first_error(ErrorKind kind) const {
  std::lock_guard lock(mutex_);
  return first_error_[static_cast<int>(kind)];
}

std::string NodeStats::first_exhausted() const {
  std::lock_guard lock(mutex_);
  return first_exhausted_;
}

}  // namespace hopcost
