#include "pending_scrapes.hpp"

namespace riptide::udp {

pending_scrapes::pending_scrapes(std::size_t capacity) : capacity_(capacity) {}

std::optional<std::uint64_t> pending_scrapes::open(const runtime::reply_route& route, std::size_t hash_count,
                                                   std::uint32_t now) {
  if (hash_count == 0 || hash_count > proto::udp::max_scrape_hashes) return std::nullopt;
  // Slots are made on first need: a tracker whose scrapes complete at once (one thread owning
  // every torrent) never holds more than a batch of them.
  if (free_slots_.empty()) {
    if (entries_.size() >= capacity_) return std::nullopt;
    free_slots_.push_back(static_cast<std::uint16_t>(entries_.size()));
    entries_.emplace_back();
    filled_.emplace_back();
  }
  const std::uint16_t slot = free_slots_.front();
  free_slots_.pop_front();
  entry& opened = entries_[slot];
  opened.route = route;
  opened.results.assign(hash_count, proto::udp::scrape_entry{});
  opened.missing = static_cast<std::uint8_t>(hash_count);
  opened.opened_at = now;
  opened.in_use = true;
  filled_[slot] = {0, 0};
  ++open_count_;
  return (opened.generation << 16) | slot;
}

pending_scrapes::entry* pending_scrapes::lookup(std::uint64_t id) {
  const std::uint64_t slot = id & 0xffff;
  if (slot >= entries_.size()) return nullptr;
  entry& found = entries_[slot];
  if (!found.in_use || found.generation != id >> 16) return nullptr;
  return &found;
}

pending_scrapes::entry* pending_scrapes::fill(std::uint64_t id, std::size_t index,
                                              const proto::udp::scrape_entry& result) {
  entry* found = lookup(id);
  if (found == nullptr || index >= found->results.size()) return nullptr;
  auto& bits = filled_[id & 0xffff];
  const std::uint64_t bit = std::uint64_t{1} << (index % 64);
  if ((bits[index / 64] & bit) != 0) return nullptr;
  bits[index / 64] |= bit;
  found->results[index] = result;
  --found->missing;
  return found->missing == 0 ? found : nullptr;
}

void pending_scrapes::close(std::uint64_t id) {
  entry* found = lookup(id);
  if (found == nullptr) return;
  found->in_use = false;
  ++found->generation;  // late parts for this id are now stale
  free_slots_.push_back(static_cast<std::uint16_t>(id & 0xffff));
  --open_count_;
}

std::size_t pending_scrapes::expire(std::uint32_t now, std::uint32_t max_age_seconds) {
  std::size_t expired = 0;
  for (std::size_t slot = 0; slot < entries_.size(); ++slot) {
    entry& candidate = entries_[slot];
    if (!candidate.in_use || now - candidate.opened_at <= max_age_seconds) continue;
    close((candidate.generation << 16) | slot);
    ++expired;
  }
  return expired;
}

}  // namespace riptide::udp
