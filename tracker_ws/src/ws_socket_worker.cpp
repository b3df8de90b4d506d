#include "ws_socket_worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <system_error>
#include <utility>

#include "ip_address_conversion.hpp"
#include "tracker/proto/utf8.hpp"
#include "tracker/runtime/log.hpp"
#include "ws_connection.hpp"
#include "ws_listener.hpp"

namespace riptide::ws {

namespace wt = proto::webtorrent;

namespace {

// A split scrape whose parts have not all come back after this long is dropped.
constexpr std::uint32_t pending_scrape_max_age_seconds = 5;
// Scrapes waiting for their parts, per socket worker.
constexpr std::size_t max_pending_scrapes = 4096;
// Responses taken from the inbox at once, and batches of them per wake-up, after which the other
// handlers (reads, writes, timers) get their turn.
constexpr std::size_t response_batch_size = 256;
constexpr std::size_t max_response_batches_per_wake = 16;
// How long a graceful stop waits for the close handshakes.
constexpr auto goodbye_timeout = std::chrono::seconds(1);
// With request workers, a bound on the bytes a reply owed to a routed request takes in its
// connection's queue (ws_connection::owe_reply), frame overhead included: an announce response
// or failure (three numbers and an info hash of at most 122 characters), and a scrape response
// (each hash a key of at most 122 characters and three numbers).
constexpr std::size_t owed_announce_reply_bytes = 320;
constexpr std::size_t owed_scrape_reply_bytes(std::size_t hashes) { return 128 + 200 * hashes; }
// Every this many once-a-second checks, what a connection's requests owed it all the while is
// written off as lost (a full response channel dropped it): longer than a split scrape waits for
// its parts.
constexpr std::uint32_t lost_reply_checks = 10;

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

}  // namespace

ws_socket_worker::ws_socket_worker(std::uint16_t id, const ws_tracker_config& config,
                                   ws_socket_worker_services services, ws_swarm_access swarms,
                                   ws_counters& counters, std::shared_ptr<boost::asio::ssl::context> tls)
    : id_(id),
      statistics_interval_(config.statistics.interval_seconds),
      services_(std::move(services)),
      access_list_(services_.access_list),
      swarms_(std::move(swarms)),
      counters_(counters),
      tls_(std::move(tls)),
      routed_(swarms_.inline_service ? 1 : swarms_.request_inboxes.size()),
      disconnects_(routed_.size()),
      waiting_disconnects_(routed_.size()),
      inline_responses_(swarms_.inline_service ? 1 : 0),
      response_batch_(response_batch_size),
      pending_scrapes_(max_pending_scrapes),
      proxy_protocol_(config.network.proxy_protocol),
      forwarded_header_(config.network.forwarded_header),
      // Every socket, acceptor and descriptor of this io_context is used by its thread alone (the
      // other threads only post): the per-descriptor locks of the reactor are not needed.
      io_(std::make_unique<boost::asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO)) {
  if (swarms_.responses != nullptr) {
    // The descriptor object closes what it holds: it gets a copy of the inbox's eventfd.
    const int wake_fd = ::dup(swarms_.responses->wake_fd());
    if (wake_fd < 0) throw std::system_error(errno, std::generic_category(), "dup of the response eventfd");
    response_wake_.emplace(*io_, wake_fd);
  }
  session_limits_.max_message_bytes = config.limits.max_message_bytes;
  session_limits_.max_outbound_messages = config.limits.max_outbound_messages;
  session_limits_.max_outbound_bytes = config.limits.max_outbound_bytes;
  session_limits_.write_timeout = std::chrono::seconds(config.limits.write_timeout_seconds);
  session_limits_.handshake_timeout = std::chrono::seconds(config.limits.handshake_timeout_seconds);
  session_limits_.idle_timeout = std::chrono::seconds(config.limits.idle_timeout_seconds);
  session_limits_.max_torrents_per_connection = config.limits.max_torrents_per_connection;
  // Two seconds more for the tracker clock's rounding on either side (both are at most days).
  session_limits_.torrent_place_expiry_seconds =
      config.protocol.peer_timeout_seconds + config.cleaning.interval_seconds + 2;
  decode_limits_.max_message_bytes = config.limits.max_message_bytes;
  decode_limits_.max_offers = config.limits.max_offers;
  decode_limits_.max_sdp_bytes = config.limits.max_sdp_bytes;
}

ws_socket_worker::~ws_socket_worker() {
  // Objects bound to the io_context go before it; destroying it then destroys the handlers that
  // still hold sessions, whose destructors detach: with `destroying_` set, they route nothing.
  destroying_ = true;
  flushes_due_.clear();
  held_while_waiting_.clear();
  listeners_.clear();
  response_wake_.reset();
  housekeeping_timer_.reset();
  statistics_timer_.reset();
  stop_timer_.reset();
  io_.reset();
}

std::variant<std::uint16_t, std::string> ws_socket_worker::listen(const std::string& address, std::uint16_t port,
                                                                  bool first) {
  auto listener = std::make_unique<ws_listener>(*io_, *this);
  auto result = listener->open(address, port, first);
  if (std::holds_alternative<std::uint16_t>(result)) listeners_.push_back(std::move(listener));
  return result;
}

void ws_socket_worker::close_listeners() { listeners_.clear(); }

void ws_socket_worker::run() {
  for (auto& listener : listeners_) listener->run();
  housekeeping_timer_.emplace(*io_);
  statistics_timer_.emplace(*io_);
  stop_timer_.emplace(*io_);
  schedule_housekeeping();
  if (id_ == 0) schedule_statistics();  // one line for the whole tracker
  if (swarms_.responses != nullptr) {
    wait_for_responses();
  }
  io_->run();
}

void ws_socket_worker::stop() {
  boost::asio::post(*io_, [this] {
    for (auto& listener : listeners_) listener->close();
    housekeeping_timer_->cancel();
    statistics_timer_->cancel();
    // Each session closes with a close frame; run() ends when the last one is gone, or at the
    // deadline for clients that do not answer. The response inbox is no longer waited on.
    if (response_wake_) response_wake_->cancel();
    saying_goodbye_ = true;
    for (const auto& [id, session] : sessions_) session->say_goodbye();
    stop_timer_->expires_after(goodbye_timeout);
    stop_timer_->async_wait([this](const boost::system::error_code& error) {
      if (!error) io_->stop();
    });
    if (sessions_.empty()) io_->stop();
  });
}

void ws_socket_worker::replace_tls_context(std::shared_ptr<boost::asio::ssl::context> tls) {
  boost::asio::post(*io_, [this, tls = std::move(tls)]() mutable { tls_ = std::move(tls); });
}

std::optional<connection_slot> ws_socket_worker::admit(const boost::asio::ip::address& address) {
  const bool from_proxy = proto::any_contains(services_.trusted_proxies, to_proto_address(address));
  auto slot = from_proxy ? services_.limiter.admit_proxied(address, counters_)
                         : services_.limiter.admit(address, counters_);
  counters_.add(slot ? ws_counter::connections_accepted : ws_counter::connections_refused);
  if (slot) services_.heap_trim.observe(id_, connections_setting_up(), open_connections());
  return slot;
}

std::string_view ws_socket_worker::forwarded_header_name() const {
  return forwarded_header_ == forwarded_header_config::forwarded ? "Forwarded" : "X-Forwarded-For";
}

ws_socket_worker::client_verdict ws_socket_worker::admit_client(connection_slot& slot,
                                                                std::span<const std::string_view> header_lines) {
  const auto client = forwarded_header_ == forwarded_header_config::forwarded
                          ? proto::find_rfc7239_client(header_lines, services_.trusted_proxies)
                          : proto::find_forwarded_client(header_lines, services_.trusted_proxies);
  if (client.what == proto::forwarded_client::outcome::malformed) {
    counters_.add(ws_counter::forwarded_refused);
    return client_verdict::malformed_header;
  }
  // No header, or a client the proxies hide: the proxy itself is the client, and its connections
  // count as its own.
  const auto address =
      client.what == proto::forwarded_client::outcome::found ? to_asio_address(client.address) : slot.address();
  return count_client(slot, address) ? client_verdict::admitted : client_verdict::over_limit;
}

bool ws_socket_worker::admit_proxy_client(connection_slot& slot, const proto::proxy_header& header) {
  // The tracker is full and this is a monitoring place: it serves plain HTTP (the health checks
  // that come through the balancer) and refuses an upgrade, for no client of the balancer's.
  if (slot.monitoring_only()) return true;
  // No client named: the connection's own endpoint stands, the balancer's (as the specification
  // says). Either way the slot is counted now, so X-Forwarded-For, which behind a TCP-mode
  // balancer the client itself writes, is never read on this connection.
  return count_client(slot, header.source ? to_asio_address(*header.source) : slot.address());
}

bool ws_socket_worker::count_client(connection_slot& slot, const boost::asio::ip::address& client) {
  if (services_.limiter.count_client(slot, client)) return true;
  counters_.add(ws_counter::forwarded_refused);
  return false;
}

std::uint64_t ws_socket_worker::attach(ws_connection& session) {
  const std::uint64_t id = next_connection_id_++;
  sessions_.emplace(id, &session);
  counters_.add(ws_counter::websocket_sessions);
  if (saying_goodbye_) session.say_goodbye();  // its handshake finished after stop()
  return id;
}

void ws_socket_worker::detach(ws_connection& session) {
  sessions_.erase(session.connection_id());
  if (destroying_) return;
  if (saying_goodbye_) {
    if (sessions_.empty()) io_->stop();  // the last close handshake is done
    return;  // the swarms go away with the process
  }
  const core::connection_ref connection{id_, session.connection_id()};
  std::uint64_t shards = session.shards_used();
  for (std::uint32_t shard = 0; shards != 0; ++shard, shards >>= 1) {
    if ((shards & 1) != 0) route(shard, ws_disconnect_request{connection});
  }
}

ws_socket_worker::message_verdict ws_socket_worker::handle_message(ws_connection& session, std::string_view text) {
  auto decoded = wt::decode_client_message(text, decode_limits_);
  if (auto* failure = std::get_if<wt::decode_failure>(&decoded)) {
    if (!proto::is_valid_utf8(text)) return message_verdict::not_utf8;
    counters_.add(ws_counter::invalid_messages);
    if (failure->error == wt::decode_error::answer_too_large) counters_.add(ws_counter::oversized_answers);
    session.reply(wt::encode_failure(wt::to_failure_reply(*failure)));
    return message_verdict::served;
  }
  auto& message = std::get<wt::client_message>(decoded);
  if (auto* announce = std::get_if<wt::announce_message>(&message)) {
    handle_announce(session, std::move(*announce));
  } else {
    handle_scrape(session, std::get<wt::scrape_message>(message));
  }
  return message_verdict::served;
}

void ws_socket_worker::handle_announce(ws_connection& session, wt::announce_message message) {
  const bool is_answer = message.answer.has_value();
  counters_.add(is_answer ? ws_counter::answers : ws_counter::announces);
  access_list_.refresh();
  if (!access_list_.allows(message.hash)) {
    counters_.add(ws_counter::refused_announces);
    session.reply(wt::encode_failure({"info hash not allowed", wt::message_action::announce, message.hash}));
    return;
  }

  // With one shard, the shard's own per-connection index enforces max_torrents_per_connection
  // exactly; with several, none of them sees the others, so the socket worker counts (a stop
  // gives the place back once its shard says so: ws_torrent_released).
  const bool count_here = !swarms_.inline_service;
  const std::uint32_t now = count_here ? services_.clock.now_seconds() : 0;
  using place = ws_connection::torrent_place;
  const place torrent_place = count_here && message.event != wt::announce_event::stopped
                                  ? session.hold_torrent(message.hash, now, session_limits_.max_torrents_per_connection,
                                                         session_limits_.torrent_place_expiry_seconds)
                                  : place::held_already;
  if (torrent_place == place::refused) {
    counters_.add(ws_counter::refused_announces);
    counters_.add(ws_counter::too_many_torrents);
    const auto reason = core::failure_reason(core::webtorrent_announce_status::too_many_torrents_on_connection);
    session.reply(wt::encode_failure({std::string(reason), wt::message_action::announce, message.hash}));
    return;
  }

  counters_.add(ws_counter::offers_over_limit, message.offers_dropped);
  counters_.add(ws_counter::oversized_offers, message.offers_oversized);
  counters_.add(ws_counter::invalid_offers, message.offers_invalid);

  ws_announce_request request;
  request.reply = !is_answer;  // the reference tracker sends no response to an answer
  if (count_here) request.sequence = session.announce_routed(message.hash, now);
  request.took_place = torrent_place == place::taken;
  core::webtorrent_announce& input = request.input;
  input.hash = message.hash;
  input.peer = message.peer;
  input.connection = core::connection_ref{id_, session.connection_id()};
  input.family = session.family();
  input.event = to_peer_event(message.event);
  input.left = message.left;
  input.numwant = message.numwant;
  input.offers.reserve(message.offers.size());
  for (auto& offer : message.offers) input.offers.push_back({offer.id, std::move(offer.offer)});
  if (message.answer) {
    auto& answer = *message.answer;
    input.answer = core::webtorrent_answer{answer.to_peer, answer.id, std::move(answer.answer)};
  }
  const std::uint32_t shard = services_.router.shard_of(message.hash);
  session.use_shard(shard);
  if (request.reply) owe_reply(session, owed_announce_reply_bytes);
  route(shard, std::move(request));
}

void ws_socket_worker::handle_scrape(ws_connection& session, const wt::scrape_message& message) {
  counters_.add(ws_counter::scrapes);
  if (message.hashes.empty()) {
    // A full scrape would make one small message cost a walk of every torrent.
    session.reply(wt::encode_failure({"full scrape is not supported", wt::message_action::scrape, std::nullopt}));
    return;
  }
  // Duplicates would repeat a JSON key: each hash once (at most max_scrape_hashes, so linear).
  std::vector<proto::info_hash> hashes;
  hashes.reserve(message.hashes.size());
  for (const auto& hash : message.hashes) {
    bool seen = false;
    for (const auto& kept : hashes) seen = seen || kept == hash;
    if (!seen) hashes.push_back(hash);
  }
  const auto pending_id = pending_scrapes_.open(session.connection_id(), hashes.size(), services_.clock.now_seconds());
  if (!pending_id) {
    counters_.add(ws_counter::dropped_pending_scrapes_full);
    session.reply(wt::encode_failure({"tracker busy, scrape again later", wt::message_action::scrape, std::nullopt}));
    return;
  }
  access_list_.refresh();
  const scrape_table::entry* complete = nullptr;
  std::vector<ws_scrape_request> parts(routed_.size());
  for (std::size_t index = 0; index < hashes.size(); ++index) {
    if (!access_list_.allows(hashes[index])) {  // not served: zeros, without asking a shard
      complete = pending_scrapes_.fill(*pending_id, index, wt::scrape_file{hashes[index], {}});
      continue;
    }
    auto& part = parts[services_.router.shard_of(hashes[index])];
    part.hashes.push_back({static_cast<std::uint8_t>(index), hashes[index]});
  }
  if (complete != nullptr) {  // every hash was refused
    answer_scrape(*pending_id, *complete);
    return;
  }
  owe_reply(session, owed_scrape_reply_bytes(hashes.size()));
  for (std::uint32_t shard = 0; shard < parts.size(); ++shard) {
    if (parts[shard].hashes.empty()) continue;
    parts[shard].connection = core::connection_ref{id_, session.connection_id()};
    parts[shard].pending_id = *pending_id;
    parts[shard].family = session.family();
    route(shard, std::move(parts[shard]));
  }
}

void ws_socket_worker::route(std::uint32_t shard, ws_request request) {
  if (shard >= routed_.size()) return;  // cannot happen: the router has routed_.size() shards
  auto& batches = std::holds_alternative<ws_disconnect_request>(request) ? disconnects_ : routed_;
  batches[shard].push_back(std::move(request));
  if (swarms_.inline_service) {
    // This thread owns every swarm: apply at once, so a message is answered within the handler
    // that read it, without another turn of the event loop. A request routed while applying (a
    // send that closes a slow reader detaches it) waits for the loop in apply_inline().
    if (!applying_inline_) apply_inline();
    return;
  }
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  boost::asio::post(*io_, [this] { flush_to_request_workers(); });
}

void ws_socket_worker::apply_inline() {
  applying_inline_ = true;
  const std::uint32_t now = services_.clock.now_seconds();
  while (!disconnects_[0].empty() || !routed_[0].empty()) {
    applying_.swap(disconnects_[0]);
    for (ws_request& request : routed_[0]) applying_.push_back(std::move(request));
    routed_[0].clear();
    for (ws_request& request : applying_) swarms_.inline_service->handle(request, now, inline_responses_);
    applying_.clear();
    handing_out_.swap(inline_responses_[0]);
    for (ws_response& response : handing_out_) handle_response(response);
    handing_out_.clear();
  }
  applying_inline_ = false;
}

void ws_socket_worker::flush_to_request_workers() {
  flush_scheduled_ = false;
  for (std::size_t shard = 0; shard < routed_.size(); ++shard) {
    auto& channel = swarms_.request_inboxes[shard]->from(id_);
    std::size_t sent = 0;
    // Order per shard: disconnects left over from earlier flushes (their connections route nothing
    // any more), then this batch's requests, then this batch's disconnects, which must not overtake
    // their own connection's last requests. A disconnect is never dropped: what does not fit waits.
    sent += channel.send_what_fits(waiting_disconnects_[shard]);
    sent += channel.send_what_fits(routed_[shard]);
    sent += channel.send_what_fits(disconnects_[shard]);
    for (ws_request& unsent : disconnects_[shard]) waiting_disconnects_[shard].push_back(std::move(unsent));
    disconnects_[shard].clear();
    refuse_unsent(routed_[shard]);
    if (sent > 0) swarms_.request_inboxes[shard]->notify();
  }
}

void ws_socket_worker::refuse_unsent(std::vector<ws_request>& unsent) {
  // Counted per message refused: a scrape split over shards counts once, with its first refused part.
  std::uint64_t refused_messages = 0;
  for (ws_request& request : unsent) {
    // The client hears that the tracker is busy rather than nothing (an answer expects no reply).
    if (auto* announce = std::get_if<ws_announce_request>(&request)) {
      ++refused_messages;
      // A place it took goes back: no shard will say so. (One held before stays: the shard holds it.)
      if (announce->took_place) {
        const auto announcer = sessions_.find(announce->input.connection.connection_id);
        if (announcer != sessions_.end()) announcer->second->release_torrent(announce->input.hash, announce->sequence);
      }
      if (announce->reply) {
        send_to(announce->input.connection.connection_id,
                wt::encode_failure({"tracker busy, announce again later", wt::message_action::announce,
                                    announce->input.hash}),
                message_kind::reply);
        settle_reply(announce->input.connection.connection_id, owed_announce_reply_bytes);
      }
    } else if (auto* scrape = std::get_if<ws_scrape_request>(&request)) {
      // Its first unsent part answers it; the others find it closed.
      if (const auto* refused = pending_scrapes_.find(scrape->pending_id)) {
        ++refused_messages;
        const std::size_t owed = owed_scrape_reply_bytes(refused->results.size());
        pending_scrapes_.close(scrape->pending_id);
        send_to(scrape->connection.connection_id,
                wt::encode_failure({"tracker busy, scrape again later", wt::message_action::scrape, std::nullopt}),
                message_kind::reply);
        settle_reply(scrape->connection.connection_id, owed);
      }
    }
  }
  counters_.add(ws_counter::dropped_request_queue_full, refused_messages);
  unsent.clear();
}

void ws_socket_worker::wait_for_responses() {
  response_wake_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                             [this](const boost::system::error_code& error) {
                               if (error) return;
                               // Clear first, then drain: a notification during the drain wakes us again.
                               swarms_.responses->clear_wake();
                               drain_responses();
                               wait_for_responses();
                             });
}

void ws_socket_worker::drain_responses() {
  for (std::size_t round = 0; round < max_response_batches_per_wake; ++round) {
    const std::size_t count = swarms_.responses->receive(response_batch_.data(), response_batch_.size());
    for (std::size_t i = 0; i < count; ++i) {
      handle_response(response_batch_[i]);
      response_batch_[i] = ws_response{};
    }
    if (count < response_batch_.size()) return;  // drained
  }
  // Request workers keep producing: give reads, writes and timers a turn, and come back.
  swarms_.responses->notify();
}

void ws_socket_worker::handle_response(ws_response& response) {
  if (auto* message = std::get_if<ws_outbound_message>(&response)) {
    send_to(message->connection_id, std::move(message->text), message->kind);
    if (message->owed) settle_reply(message->connection_id, owed_announce_reply_bytes);
    return;
  }
  if (const auto* released = std::get_if<ws_torrent_released>(&response)) {
    const auto holder = sessions_.find(released->connection_id);
    if (holder != sessions_.end()) holder->second->release_torrent(released->hash, released->sequence);
    return;
  }
  const auto& part = std::get<ws_scrape_part>(response);
  const scrape_table::entry* complete = nullptr;
  for (const auto& [index, file] : part.files) {
    if (auto* filled = pending_scrapes_.fill(part.pending_id, index, file)) complete = filled;
  }
  if (complete == nullptr) return;
  const std::uint64_t connection_id = complete->route;
  const std::size_t hashes = complete->results.size();
  answer_scrape(part.pending_id, *complete);
  settle_reply(connection_id, owed_scrape_reply_bytes(hashes));
}

void ws_socket_worker::answer_scrape(std::uint64_t pending_id, const scrape_table::entry& complete) {
  wt::scrape_response reply;
  reply.files.assign(complete.results.begin(), complete.results.end());
  const std::uint64_t connection_id = complete.route;
  pending_scrapes_.close(pending_id);
  send_to(connection_id, wt::encode_scrape_response(reply), message_kind::reply);
}

void ws_socket_worker::owe_reply(ws_connection& session, std::size_t bytes) {
  if (!swarms_.inline_service) session.owe_reply(bytes);
}

void ws_socket_worker::settle_reply(std::uint64_t connection_id, std::size_t bytes) {
  if (swarms_.inline_service) return;  // replies come at once, nothing was owed
  // Looked up again: queuing the reply may have closed the connection (a slow reader).
  const auto target = sessions_.find(connection_id);
  if (target != sessions_.end()) target->second->settle_reply(bytes);
}

void ws_socket_worker::hold_while_waiting(std::shared_ptr<ws_connection> connection) {
  ws_connection* key = connection.get();
  held_while_waiting_.emplace(key, std::move(connection));
}

void ws_socket_worker::release_held(ws_connection& connection) {
  const auto held = held_while_waiting_.find(&connection);
  if (held == held_while_waiting_.end()) return;
  boost::asio::post(*io_, [last = std::move(held->second)] {});
  held_while_waiting_.erase(held);
}

void ws_socket_worker::flush_later(std::shared_ptr<ws_connection> connection) {
  flushes_due_.push_back(std::move(connection));
  if (connection_flushes_posted_) return;
  connection_flushes_posted_ = true;
  boost::asio::post(*io_, [this] { flush_connections(); });
}

void ws_socket_worker::flush_connections() {
  // What these writes cause to be queued (a paused connection reads again) asks for the next post.
  connection_flushes_posted_ = false;
  flushing_.clear();  // empty, unless a flush threw out of the last round
  flushing_.swap(flushes_due_);
  for (const auto& connection : flushing_) connection->flush();
  flushing_.clear();  // may end connections: their destructors detach, and nothing refers to this
}

void ws_socket_worker::send_to(std::uint64_t connection_id, std::string text, message_kind kind) {
  const auto target = sessions_.find(connection_id);
  if (target == sessions_.end()) {
    counters_.add(ws_counter::messages_to_closed);
    return;
  }
  if (!target->second->send(std::move(text), kind)) return;
  if (kind == message_kind::offer_relay) counters_.add(ws_counter::offers_relayed);
  if (kind == message_kind::answer_relay) counters_.add(ws_counter::answers_relayed);
}

ws_counters& ws_socket_worker::tracker_totals(ws_counters& total) const {
  // The inline service's gauges are brought up to date when read, not after every message.
  if (swarms_.inline_service) swarms_.inline_service->publish_gauges();
  sum_ws_counters(services_.all_counters, total);
  return total;
}

std::string ws_socket_worker::stats_json() const {
  ws_counters total;
  return format_stats_json(tracker_totals(total));
}

std::string ws_socket_worker::stats_line() const {
  ws_counters total;
  return format_stats_line(tracker_totals(total));
}

std::string ws_socket_worker::stats_prometheus() const {
  ws_counters total;
  return format_stats_prometheus(tracker_totals(total));
}

void ws_socket_worker::check_idle_connections() {
  const auto now = std::chrono::steady_clock::now();
  timed_out_.clear();
  const bool write_off_lost_replies = !swarms_.inline_service && ++checks_since_write_off_ >= lost_reply_checks;
  if (write_off_lost_replies) checks_since_write_off_ = 0;
  for (const auto& [id, session] : sessions_) {
    if (session->write_stalled(now, session_limits_.write_timeout)) {
      timed_out_.push_back({session, ws_counter::slow_readers_dropped});
      continue;
    }
    if (write_off_lost_replies) session->write_off_lost_replies();  // a resume it causes is posted
    switch (session->check_idle(now, session_limits_.idle_timeout)) {
      case ws_connection::idle_verdict::fine: break;
      case ws_connection::idle_verdict::ping: session->ping(); break;
      case ws_connection::idle_verdict::expired: timed_out_.push_back({session, ws_counter::idle_timeouts}); break;
    }
  }
  // Outside the loop: a connection that times out leaves the table.
  for (const auto& [session, counter] : timed_out_) {
    counters_.add(counter);
    if (counter == ws_counter::idle_timeouts) {
      session->close_idle();
    } else {
      session->drop();
    }
  }
}

std::uint64_t ws_socket_worker::open_connections() const { return counters_.get(ws_gauge::open_connections); }

std::uint64_t ws_socket_worker::connections_setting_up() const {
  const std::uint64_t open = open_connections();
  return open > sessions_.size() ? open - sessions_.size() : 0;  // a session may detach before its slot goes
}

void ws_socket_worker::trim_heap_if_due(std::uint32_t now) {
  const auto took = services_.heap_trim.trim_if_due(id_, connections_setting_up(), open_connections(), now);
  if (!took) return;
  counters_.add(ws_counter::heap_trims);
  runtime::log_info("gave the memory freed by a burst of connections back to the system (",
                    static_cast<double>(took->count()) / 1000.0, " ms)");
}

void ws_socket_worker::schedule_housekeeping() {
  housekeeping_timer_->expires_after(std::chrono::seconds(1));
  housekeeping_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    const std::uint32_t now = services_.clock.now_seconds();
    counters_.add(ws_counter::expired_pending_scrapes, pending_scrapes_.expire(now, pending_scrape_max_age_seconds));
    if (swarms_.inline_service) swarms_.inline_service->clean_if_due(now);
    check_idle_connections();
    trim_heap_if_due(now);
    // Disconnects still waiting for room in a full channel (never with the inline service).
    const bool disconnects_waiting = std::any_of(waiting_disconnects_.begin(), waiting_disconnects_.end(),
                                                 [](const auto& waiting) { return !waiting.empty(); });
    if (disconnects_waiting && !flush_scheduled_) {
      flush_scheduled_ = true;
      boost::asio::post(*io_, [this] { flush_to_request_workers(); });
    }
    schedule_housekeeping();
  });
}

void ws_socket_worker::schedule_statistics() {
  if (statistics_interval_.count() == 0) return;
  statistics_timer_->expires_after(statistics_interval_);
  statistics_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    runtime::log_info("statistics: ", stats_line());
    schedule_statistics();
  });
}

}  // namespace riptide::ws
