#pragma once
// Identifiers of the WebTorrent protocol beyond info hash and peer id (types.hpp).

#include "tracker/proto/types.hpp"

namespace riptide::proto {

// The 20-byte id an offerer gives each WebRTC offer; the answer names it again.
struct offer_id_tag {};
using offer_id = id20<offer_id_tag>;

}  // namespace riptide::proto
