#pragma once
// What an announce says about its peer, already decoded by the caller: the BitTorrent swarms
// (swarm.hpp) and the WebTorrent swarms (webtorrent_shard.hpp) both take it.

#include <cstdint>

namespace riptide::core {

enum class peer_event : std::uint8_t { none, started, completed, stopped, paused };

}  // namespace riptide::core
