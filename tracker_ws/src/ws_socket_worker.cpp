#include "ws_socket_worker.hpp"

#include <boost/asio/post.hpp>
#include <type_traits>
#include <utility>

#include "tracker/core/siphash.hpp"
#include "tracker/runtime/log.hpp"
#include "ws_listener.hpp"
#include "ws_connection.hpp"

namespace riptide::ws {

namespace wt = proto::webtorrent;

namespace {

core::webtorrent_rules make_rules(const ws_tracker_config& config) {
  core::webtorrent_rules rules;
  rules.peer_timeout_seconds = config.protocol.peer_timeout_seconds;
  rules.offer_lifetime_seconds = config.protocol.offer_lifetime_seconds;
  rules.max_offers_relayed = config.protocol.max_offers_relayed;
  rules.max_torrents_per_connection = config.limits.max_torrents_per_connection;
  return rules;
}

core::peer_event to_peer_event(wt::announce_event event) {
  switch (event) {
    case wt::announce_event::none: return core::peer_event::none;
    case wt::announce_event::started: return core::peer_event::started;
    case wt::announce_event::completed: return core::peer_event::completed;
    case wt::announce_event::stopped: return core::peer_event::stopped;
    case wt::announce_event::paused: return core::peer_event::paused;
  }
  return core::peer_event::none;
}

wt::failure_reply announce_failure(std::string reason, const proto::info_hash& hash) {
  return {std::move(reason), wt::message_action::announce, hash};
}

}  // namespace

connection_slot::~connection_slot() {
  if (worker_ != nullptr) worker_->release(address_);
}

ws_socket_worker::ws_socket_worker(const ws_tracker_config& config, const runtime::access_list_holder& access_list,
                                   const runtime::tracker_clock& clock,
                                   std::shared_ptr<boost::asio::ssl::context> tls)
    : config_(config),
      access_list_(access_list),
      clock_(clock),
      shard_(make_rules(config), core::random_siphash_key()),
      random_(core::random_siphash_key().k0),
      tls_(std::move(tls)),
      io_(std::make_unique<boost::asio::io_context>(1)) {
  session_limits_.max_message_bytes = config.limits.max_message_bytes;
  session_limits_.max_outbound_messages = config.limits.max_outbound_messages;
  session_limits_.handshake_timeout = std::chrono::seconds(config.limits.handshake_timeout_seconds);
  session_limits_.idle_timeout = std::chrono::seconds(config.limits.idle_timeout_seconds);
  decode_limits_.max_message_bytes = config.limits.max_message_bytes;
  decode_limits_.max_offers = config.limits.max_offers;
  decode_limits_.max_sdp_bytes = config.limits.max_sdp_bytes;
}

ws_socket_worker::~ws_socket_worker() {
  // Objects bound to the io_context go before it; destroying it then destroys the handlers that
  // still hold sessions, whose destructors detach while the shard and the tables live.
  listeners_.clear();
  cleaning_timer_.reset();
  statistics_timer_.reset();
  io_.reset();
}

std::variant<std::uint16_t, std::string> ws_socket_worker::listen(const std::string& address, std::uint16_t port) {
  auto listener = std::make_unique<ws_listener>(*io_, *this);
  auto result = listener->open(address, port);
  if (std::holds_alternative<std::uint16_t>(result)) listeners_.push_back(std::move(listener));
  return result;
}

void ws_socket_worker::run() {
  for (auto& listener : listeners_) listener->run();
  cleaning_timer_.emplace(*io_);
  statistics_timer_.emplace(*io_);
  schedule_cleaning();
  schedule_statistics();
  io_->run();
}

void ws_socket_worker::stop() {
  boost::asio::post(*io_, [this] {
    for (auto& listener : listeners_) listener->close();
    io_->stop();
  });
}

void ws_socket_worker::replace_tls_context(std::shared_ptr<boost::asio::ssl::context> tls) {
  boost::asio::post(*io_, [this, tls = std::move(tls)]() mutable { tls_ = std::move(tls); });
}

std::optional<connection_slot> ws_socket_worker::admit(const boost::asio::ip::address& address) {
  auto& from_address = connections_per_address_[address];
  if (open_connections_ >= config_.limits.max_connections || from_address >= config_.limits.max_connections_per_ip) {
    if (from_address == 0) connections_per_address_.erase(address);
    ++counters_.connections_refused;
    return std::nullopt;
  }
  ++from_address;
  ++open_connections_;
  ++counters_.connections_accepted;
  return connection_slot(*this, address);
}

void ws_socket_worker::release(const boost::asio::ip::address& address) {
  --open_connections_;
  const auto found = connections_per_address_.find(address);
  if (found != connections_per_address_.end() && --found->second == 0) connections_per_address_.erase(found);
}

std::uint64_t ws_socket_worker::attach(ws_connection& session) {
  const std::uint64_t id = next_connection_id_++;
  sessions_.emplace(id, &session);
  ++counters_.websocket_sessions;
  return id;
}

void ws_socket_worker::detach(std::uint64_t connection_id) {
  sessions_.erase(connection_id);
  const auto removed = shard_.disconnect(core::connection_ref{0, connection_id});
  counters_.peers_removed_by_disconnect += removed.peers;
}

void ws_socket_worker::handle_message(ws_connection& session, std::string_view text) {
  auto decoded = wt::decode_client_message(text, decode_limits_);
  if (auto* failure = std::get_if<wt::decode_failure>(&decoded)) {
    ++counters_.invalid_messages;
    session.send(wt::encode_failure(wt::to_failure_reply(*failure)));
    return;
  }
  auto& message = std::get<wt::client_message>(decoded);
  if (auto* announce = std::get_if<wt::announce_message>(&message)) {
    handle_announce(session, std::move(*announce));
  } else {
    handle_scrape(session, std::get<wt::scrape_message>(message));
  }
}

void ws_socket_worker::handle_announce(ws_connection& session, wt::announce_message message) {
  const bool is_answer = message.answer.has_value();
  ++(is_answer ? counters_.answers : counters_.announces);
  access_list_.refresh();
  if (!access_list_.allows(message.hash)) {
    ++counters_.refused_announces;
    session.send(wt::encode_failure(announce_failure("info hash not allowed", message.hash)));
    return;
  }

  core::webtorrent_announce input;
  input.hash = message.hash;
  input.peer = message.peer;
  input.connection = core::connection_ref{0, session.connection_id()};
  input.family = session.family();
  input.event = to_peer_event(message.event);
  input.left = message.left;
  input.numwant = message.numwant;
  input.offers.reserve(message.offers.size());
  for (auto& offer : message.offers) input.offers.push_back({offer.id, std::string(offer.offer.text())});
  if (message.answer) {
    input.answer = core::webtorrent_answer{message.answer->to_peer, message.answer->id,
                                           std::string(message.answer->answer.text())};
  }

  auto result = shard_.announce(std::move(input), clock_.now_seconds(), random_);
  if (!result.accepted()) {
    ++counters_.refused_announces;
    session.send(wt::encode_failure(announce_failure(std::string(core::failure_reason(result.status)), message.hash)));
    return;
  }
  counters_.answers_dropped += result.answers_dropped;
  // The reference tracker sends no response to an answer message; clients do not expect one.
  if (!is_answer) {
    session.send(wt::encode_announce_response(
        {message.hash, config_.protocol.announce_interval_seconds, result.complete, result.incomplete, std::nullopt}));
  }
  for (auto& delivery : result.deliveries) deliver(delivery);
}

void ws_socket_worker::deliver(core::webtorrent_delivery& delivery) {
  const auto target = sessions_.find(delivery.target.connection_id);
  if (target == sessions_.end()) {
    ++counters_.relays_to_closed;
    return;
  }
  // The shard carries payloads as plain text; they came from a json_text, so this parse cannot
  // fail (a second parse per relay: the shard could carry json_text instead, a later change).
  auto payload = wt::json_text::parse_object(delivery.payload);
  if (!payload) return;
  if (delivery.kind == core::relay_kind::offer) {
    ++counters_.offers_relayed;
    target->second->send(wt::encode_offer_relay({delivery.hash, delivery.from, delivery.offer, std::move(*payload)}));
  } else {
    ++counters_.answers_relayed;
    target->second->send(wt::encode_answer_relay({delivery.hash, delivery.from, delivery.offer, std::move(*payload)}));
  }
}

void ws_socket_worker::handle_scrape(ws_connection& session, const wt::scrape_message& message) {
  ++counters_.scrapes;
  if (message.hashes.empty()) {
    // A full scrape would make one small message cost a walk of every torrent.
    session.send(wt::encode_failure({"full scrape is not supported", wt::message_action::scrape, std::nullopt}));
    return;
  }
  wt::scrape_response response;
  response.files.reserve(message.hashes.size());
  for (const auto& hash : message.hashes) {
    bool seen = false;  // duplicates would repeat a JSON key; at most max_scrape_hashes, so linear
    for (const auto& file : response.files) seen = seen || file.hash == hash;
    if (seen) continue;
    const auto counts = shard_.scrape(hash);
    response.files.push_back({hash, {counts.complete, counts.incomplete, counts.downloaded}});
  }
  session.send(wt::encode_scrape_response(response));
}

std::string ws_socket_worker::stats_json() const {
  return format_stats_json(counters_, shard_.totals(), open_connections_);
}

void ws_socket_worker::schedule_cleaning() {
  cleaning_timer_->expires_after(std::chrono::seconds(config_.cleaning.interval_seconds));
  cleaning_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    const auto removed = shard_.clean(clock_.now_seconds());
    counters_.peers_removed_by_cleaning += removed.peers;
    schedule_cleaning();
  });
}

void ws_socket_worker::schedule_statistics() {
  if (config_.statistics.interval_seconds == 0) return;
  statistics_timer_->expires_after(std::chrono::seconds(config_.statistics.interval_seconds));
  statistics_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    runtime::log_info("statistics: ", format_stats_line(counters_, shard_.totals(), open_connections_));
    schedule_statistics();
  });
}

}  // namespace riptide::ws
