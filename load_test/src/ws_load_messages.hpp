#pragma once
// The messages `load_test ws` sends, built with tracker_common's WebTorrent client encoders, and the
// kind of each reply. Pure: randomness comes in as an argument.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "tracker/proto/webtorrent_codec.hpp"
#include "ws_load_counters.hpp"

namespace riptide::load_test {

namespace wt = proto::webtorrent;

// {"type":<type>,"sdp":"v=0\r\n..."} with an sdp text of exactly sdp_bytes bytes (at least 1):
// the CRLF-terminated lines of a browser's SDP offer or answer (about 1 KB), candidates repeated.
wt::json_text make_sdp_object(std::string_view type, std::uint32_t sdp_bytes);

// A regular announce (or `started` when `first`) with `offers` offers, each with a fresh random offer id.
// numwant is the number of offers, as the WebTorrent client sends it.
std::string make_offer_announce(const proto::info_hash& hash, const proto::peer_id& peer, bool first,
                                std::uint32_t offers, const wt::json_text& offer, std::mt19937_64& random);

// The answer of `peer` to a relayed offer.
std::string make_answer(const proto::peer_id& peer, const wt::offer_relay& relay, const wt::json_text& answer);

// What a decoded reply counts as.
ws_received kind_of(const wt::tracker_message& message);

}  // namespace riptide::load_test
