#pragma once
// What the socket worker sees of a WebSocket connection, whatever its transport (ws:// or wss://):
// an id, an address family, the shards it has announced to, a bounded send, a goodbye, and the
// keep-alive state the worker checks once a second. Worker thread only.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tracker/proto/types.hpp"
#include "ws_messages.hpp"

namespace riptide::ws {

// Something pending that should make progress, checked once a second: stalled once it has been
// pending with no progress since a check `timeout` ago. Timed from the first check that saw it
// pending, so it is never judged older than it is: the verdict comes between `timeout` and a
// second more. progressed() costs a store.
class progress_watch {
 public:
  void progressed() { progressed_ = true; }
  bool stalled(bool pending, std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration timeout) {
    if (progressed_ || !pending) {
      progressed_ = false;
      watched_ = false;
      return false;
    }
    if (!watched_) {
      watched_ = true;
      watched_since_ = now;
      return false;
    }
    return now - watched_since_ >= timeout;
  }

 private:
  std::chrono::steady_clock::time_point watched_since_;
  bool progressed_ = false;  // since the last check
  bool watched_ = false;     // a check saw it pending, with no progress since
};

class ws_connection {
 public:
  virtual ~ws_connection() = default;

  // Queues one text message; true if it was. At the queue's bounds a relay is dropped; a reply is
  // queued, unless the queue is far past them (possible only with request workers), and then the
  // connection is dropped instead (ws_session). Nothing is queued once the connection is closing.
  virtual bool send(std::string message, message_kind kind) = 0;
  void reply(std::string message) { send(std::move(message), message_kind::reply); }
  // Writes what is queued, unless a write is under way: the worker calls it for each connection
  // that asked (ws_socket_worker::flush_later) once the handlers queued before are done.
  virtual void flush() = 0;
  // The tracker stops: sends a close frame ("going away") after what is queued, and detaches once
  // the client answers it (or the connection fails).
  virtual void say_goodbye() = 0;
  // Keep-alive: sends a ping.
  virtual void ping() = 0;
  // Silent past the idle timeout: leaves its swarms, and gets a close frame ("going away") after
  // what is queued, then a half-close, as after a violation (RFC 6455, 7.1.7: close with a frame);
  // close_timeout ends it if its client does not close (a dead one never does).
  virtual void close_idle() = 0;
  // Stopped reading (write_stalled): dropped, since no close frame could pass its full queue.
  virtual void drop() = 0;

  // limits.idle_timeout_seconds, as Beast's keep-alive pings did it: a connection silent for half
  // the timeout gets one ping, and one silent for all of it is closed, but never less than half
  // the timeout after its ping (a check that comes late, on a loaded machine, pings first).
  // `heard()` costs a store per frame; the worker's once-a-second check turns it into a time, so
  // silence is measured from the first check after the last frame: never more than the truth, at
  // most a second less.
  enum class idle_verdict { fine, ping, expired };
  void heard() { heard_ = true; }
  idle_verdict check_idle(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration timeout) {
    if (heard_) {
      heard_ = false;
      pinged_ = false;
      silent_since_ = now;
      return idle_verdict::fine;
    }
    const auto silence = now - silent_since_;
    if (!pinged_) {
      if (silence < timeout / 2) return idle_verdict::fine;
      pinged_ = true;
      pinged_at_ = now;
      return idle_verdict::ping;
    }
    return silence >= timeout && now - pinged_at_ >= timeout / 2 ? idle_verdict::expired : idle_verdict::fine;
  }

  // limits.write_timeout_seconds, checked by the same once-a-second pass: a connection to which no
  // write has completed since the first check that saw one in flight, `timeout` ago, has stopped
  // reading (or reads far slower than it is sent). `wrote()` costs a store per completed write.
  virtual bool write_in_flight() const = 0;
  void wrote() { write_watch_.progressed(); }
  bool write_stalled(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration timeout) {
    return write_watch_.stalled(write_in_flight(), now, timeout);
  }

  // With request workers, replies come back from other threads some time after their requests
  // were routed, so the queue alone cannot tell how much a client's pipelined requests will bring.
  // The socket worker counts a bound on the bytes of each reply a routed request owes the
  // connection (owe_reply) until it comes back (settle_reply); ws_session's reading waits while
  // these and its queue reach max_outbound_bytes, so a client that pipelines requests and reads
  // gets every reply (none pushes its queue past the reply overshoot). A reply that never comes (a
  // full response channel dropped it, a split scrape expired) must not hold the connection back
  // for ever, even one that keeps sending: every period the worker writes off what stayed owed
  // the whole period, the lowest the count fell to (write_off_lost_replies). A reply that comes
  // after all, past its write-off, settles what later requests owe: the count is low by at most
  // that reply's bound until they come back (a full channel is rare, and the queue's own bounds
  // still hold).
  void owe_reply(std::size_t bytes) { owed_reply_bytes_ += bytes; }
  void settle_reply(std::size_t bytes) {
    owed_reply_bytes_ -= bytes < owed_reply_bytes_ ? bytes : owed_reply_bytes_;
    if (owed_reply_bytes_ < owed_low_) owed_low_ = owed_reply_bytes_;
    replies_settled();
  }
  std::size_t owed_reply_bytes() const { return owed_reply_bytes_; }
  // True if anything was written off.
  bool write_off_lost_replies() {
    const std::size_t lost = owed_low_;  // never above owed_reply_bytes_
    owed_reply_bytes_ -= lost;
    owed_low_ = owed_reply_bytes_;
    if (lost == 0) return false;
    replies_settled();
    return true;
  }

  std::uint64_t connection_id() const { return connection_id_; }
  proto::address_family family() const { return family_; }

  // Shards (request workers, at most 64) this connection has sent announces to: its disconnect
  // goes to those only.
  void use_shard(std::uint32_t shard) { shards_used_ |= std::uint64_t{1} << (shard % 64); }
  std::uint64_t shards_used() const { return shards_used_; }

  // limits.max_torrents_per_connection with request workers, over every shard: the torrents this
  // connection announced to, each with the time (tracker clock, seconds) and the sequence number
  // of its last announce. Every announce routed gets the next sequence number (announce_routed);
  // a torrent's place is taken by hold_torrent, refused when `hash` is new and `limit` are held
  // already. It is given back when the shard says the connection holds no peer there any more (a
  // stop, a refusal: release_torrent with that announce's number, ignored if the torrent was
  // announced again since), or once it has not been announced for `expiry_seconds`, by when the
  // shard's cleaning has dropped the peer (so a place is never given back while its shard still
  // holds the peer: the shards see only their own share of the connection's torrents).
  std::uint32_t announce_routed(const proto::info_hash& hash, std::uint32_t now) {
    ++announce_sequence_;
    for (auto& held : torrents_) {
      if (held.hash != hash) continue;
      held.announced_at = now;
      held.sequence = announce_sequence_;
      break;  // each torrent once
    }
    return announce_sequence_;
  }
  enum class torrent_place : std::uint8_t { held_already, taken, refused };
  torrent_place hold_torrent(const proto::info_hash& hash, std::uint32_t now, std::size_t limit,
                             std::uint32_t expiry_seconds) {
    for (const auto& held : torrents_) {
      if (held.hash == hash) return torrent_place::held_already;
    }
    if (torrents_.size() >= limit) {
      std::erase_if(torrents_, [&](const held_torrent& held) { return now - held.announced_at >= expiry_seconds; });
      if (torrents_.size() >= limit) return torrent_place::refused;
    }
    torrents_.push_back({hash, now, 0});
    return torrent_place::taken;
  }
  void release_torrent(const proto::info_hash& hash, std::uint32_t sequence) {
    std::erase_if(torrents_, [&](const held_torrent& held) { return held.hash == hash && held.sequence == sequence; });
  }

 protected:
  ws_connection() = default;
  ws_connection(const ws_connection&) = delete;
  ws_connection& operator=(const ws_connection&) = delete;

  // Owed replies came back or were written off: a connection whose reading waited for them may go
  // on, though not within this call (the worker may be iterating over its requests or sessions).
  virtual void replies_settled() = 0;

  std::uint64_t connection_id_ = 0;  // 0 until the handshake succeeds
  proto::address_family family_ = proto::address_family::ipv4;
  std::uint64_t shards_used_ = 0;
  struct held_torrent {
    proto::info_hash hash;
    std::uint32_t announced_at = 0;
    std::uint32_t sequence = 0;  // of its last announce routed
  };
  std::uint32_t announce_sequence_ = 0;
  std::vector<held_torrent> torrents_;
  std::chrono::steady_clock::time_point silent_since_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point pinged_at_;
  bool heard_ = false;
  bool pinged_ = false;
  progress_watch write_watch_;  // of writes in flight
  std::size_t owed_reply_bytes_ = 0;
  std::size_t owed_low_ = 0;  // the lowest owed_reply_bytes_ of this period
};

}  // namespace riptide::ws
