#include "connection_limiter.hpp"

#include <algorithm>

namespace riptide::ws {

connection_slot::connection_slot(connection_limiter& limiter, ws_counters& owner, boost::asio::ip::address address,
                                 bool counted_per_address, bool monitoring_only)
    : limiter_(&limiter),
      owner_(&owner),
      address_(std::move(address)),
      counted_per_address_(counted_per_address),
      monitoring_only_(monitoring_only) {
  owner_->set(ws_gauge::open_connections, owner_->get(ws_gauge::open_connections) + 1);
}

connection_slot::~connection_slot() {
  if (limiter_ == nullptr) return;  // moved from
  limiter_->release(*this);  // first: a reader that sees the gauge drop finds the place free
  owner_->set(ws_gauge::open_connections, owner_->get(ws_gauge::open_connections) - 1);
}

boost::asio::ip::address connection_limiter::limited_as(const boost::asio::ip::address& address) {
  if (!address.is_v6()) return address;
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);  // the interface identifier: the /64 remains
  return boost::asio::ip::address_v6(bytes);
}

std::optional<bool> connection_limiter::place_in_total(const boost::asio::ip::address& address, bool proxied) const {
  if (open_connections_ < max_connections_) return false;
  const std::size_t taken = monitoring_holders_.size() + proxied_monitoring_places_;
  if (taken < monitoring_connections_ && (proxied || !monitoring_holders_.contains(limited_as(address)))) {
    return true;
  }
  return std::nullopt;
}

void connection_limiter::take_place_in_total(bool monitoring_only, const boost::asio::ip::address& address,
                                             bool proxied) {
  if (!monitoring_only) {
    ++open_connections_;
  } else if (proxied) {
    ++proxied_monitoring_places_;
  } else {
    monitoring_holders_.insert(limited_as(address));
  }
}

std::optional<connection_slot> connection_limiter::admit(const boost::asio::ip::address& address,
                                                         ws_counters& owner) {
  const std::lock_guard lock(mutex_);
  const auto monitoring_only = place_in_total(address, false);
  if (!monitoring_only || !take_address_place(address)) return std::nullopt;
  take_place_in_total(*monitoring_only, address, false);
  return connection_slot(*this, owner, address, true, *monitoring_only);
}

std::optional<connection_slot> connection_limiter::admit_proxied(const boost::asio::ip::address& proxy,
                                                                 ws_counters& owner) {
  const std::lock_guard lock(mutex_);
  const auto monitoring_only = place_in_total(proxy, true);
  if (!monitoring_only) return std::nullopt;
  take_place_in_total(*monitoring_only, proxy, true);
  return connection_slot(*this, owner, proxy, false, *monitoring_only);
}

bool connection_limiter::count_client(connection_slot& slot, const boost::asio::ip::address& client) {
  // A monitoring place stays its address's (release finds it by that); it never gets a client.
  if (slot.counted_per_address_ || slot.monitoring_only_) return false;
  const std::lock_guard lock(mutex_);
  if (!take_address_place(client)) return false;
  slot.address_ = client;
  slot.counted_per_address_ = true;
  return true;
}

bool connection_limiter::take_address_place(const boost::asio::ip::address& address) {
  auto& from_address = per_address_[limited_as(address)];
  if (from_address >= max_connections_per_ip_) return false;  // at least 1: never a new entry
  ++from_address;
  return true;
}

void connection_limiter::release(const connection_slot& slot) {
  const std::lock_guard lock(mutex_);
  if (slot.monitoring_only_) {
    // A monitoring place is counted per address only if it was taken directly (admit()).
    if (slot.counted_per_address_) {
      monitoring_holders_.erase(limited_as(slot.address_));
    } else {
      --proxied_monitoring_places_;
    }
  } else {
    --open_connections_;
  }
  if (!slot.counted_per_address_) return;
  const auto found = per_address_.find(limited_as(slot.address_));
  if (found != per_address_.end() && --found->second == 0) per_address_.erase(found);
}

}  // namespace riptide::ws
