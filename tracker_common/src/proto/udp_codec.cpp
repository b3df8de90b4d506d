#include "tracker/proto/udp_codec.hpp"

#include <cstring>

#include "tracker/proto/byte_io.hpp"

namespace riptide::proto::udp {
namespace {

using bytes = std::span<const std::uint8_t>;

info_hash read_info_hash(bytes packet, std::size_t offset) {
  return info_hash::from_span(packet.subspan(offset).first<info_hash::size>());
}

peer_id read_peer_id(bytes packet, std::size_t offset) {
  return peer_id::from_span(packet.subspan(offset).first<peer_id::size>());
}

decode_failure failure(request_error error) { return decode_failure{error, false, {}, {}}; }

decode_failure failure(request_error error, connection_id connection, transaction_id transaction) {
  return decode_failure{error, true, connection, transaction};
}

decode_result decode_announce(bytes packet, connection_id connection, transaction_id transaction) {
  if (packet.size() < announce_request_size) {
    return failure(request_error::too_short, connection, transaction);
  }
  const auto event = read_be<std::uint32_t>(packet, 80);
  if (event > static_cast<std::uint32_t>(announce_event::paused)) {
    return failure(request_error::bad_event, connection, transaction);
  }
  announce_request request;
  request.connection = connection;
  request.transaction = transaction;
  request.hash = read_info_hash(packet, 16);
  request.peer = read_peer_id(packet, 36);
  request.downloaded = static_cast<std::int64_t>(read_be<std::uint64_t>(packet, 56));
  request.left = static_cast<std::int64_t>(read_be<std::uint64_t>(packet, 64));
  request.uploaded = static_cast<std::int64_t>(read_be<std::uint64_t>(packet, 72));
  request.event = static_cast<announce_event>(event);
  request.ipv4_address = read_be<std::uint32_t>(packet, 84);
  request.key = read_be<std::uint32_t>(packet, 88);
  request.num_want = static_cast<std::int32_t>(read_be<std::uint32_t>(packet, 92));
  request.port = read_be<std::uint16_t>(packet, 96);
  // BEP 41 options may follow (libtorrent sends URL data for `udp://host/announce`). The tracker
  // uses none of them, and real clients differ in how they end the list, so they are accepted
  // without being read: a malformed option list never turns a good announce into an error.
  return any_request{request};
}

decode_result decode_scrape(bytes packet, connection_id connection, transaction_id transaction) {
  const std::size_t hash_bytes = packet.size() - scrape_request_header_size;
  if (hash_bytes == 0) return failure(request_error::no_info_hashes, connection, transaction);
  if (hash_bytes % info_hash::size != 0) return failure(request_error::trailing_bytes, connection, transaction);
  const std::size_t count = hash_bytes / info_hash::size;
  if (count > max_scrape_hashes) return failure(request_error::too_many_info_hashes, connection, transaction);
  scrape_request request;
  request.connection = connection;
  request.transaction = transaction;
  for (std::size_t i = 0; i < count; ++i) {
    request.hashes.push_back(read_info_hash(packet, scrape_request_header_size + i * info_hash::size));
  }
  return any_request{std::move(request)};
}

void append_header(std::vector<std::uint8_t>& out, action kind, transaction_id transaction) {
  append_be(out, static_cast<std::uint32_t>(kind));
  append_be(out, transaction.value);
}

void store_be32(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

// The hottest encoder (every announce reply): sized once, then written through a pointer.
template <typename Endpoint>
std::size_t encode_announce_response_of(const announce_response_header& header, std::span<const Endpoint> peers,
                                        std::vector<std::uint8_t>& out) {
  constexpr std::size_t entry_size = Endpoint::address_size + 2;
  const std::size_t start = out.size();
  const std::size_t length = announce_response_header_size + peers.size() * entry_size;
  out.resize(start + length);
  std::uint8_t* at = out.data() + start;
  store_be32(at, static_cast<std::uint32_t>(action::announce));
  store_be32(at + 4, header.transaction.value);
  store_be32(at + 8, header.interval);
  store_be32(at + 12, header.leechers);
  store_be32(at + 16, header.seeders);
  at += announce_response_header_size;
  for (const Endpoint& peer : peers) {
    std::memcpy(at, peer.address.data(), Endpoint::address_size);
    at[Endpoint::address_size] = static_cast<std::uint8_t>(peer.port >> 8);
    at[Endpoint::address_size + 1] = static_cast<std::uint8_t>(peer.port);
    at += entry_size;
  }
  return length;
}

template <typename Endpoint>
std::vector<Endpoint> decode_peers(bytes area) {
  constexpr std::size_t entry_size = Endpoint::address_size + 2;
  std::vector<Endpoint> peers(area.size() / entry_size);
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const std::size_t offset = i * entry_size;
    for (std::size_t b = 0; b < Endpoint::address_size; ++b) peers[i].address[b] = area[offset + b];
    peers[i].port = read_be<std::uint16_t>(area, offset + Endpoint::address_size);
  }
  return peers;
}

}  // namespace

std::string_view to_string(request_error error) {
  switch (error) {
    case request_error::too_short: return "packet too short";
    case request_error::bad_protocol_id: return "bad protocol id";
    case request_error::unknown_action: return "unknown action";
    case request_error::bad_event: return "invalid event";
    case request_error::no_info_hashes: return "no info hash in scrape";
    case request_error::too_many_info_hashes: return "too many info hashes in scrape";
    case request_error::trailing_bytes: return "scrape length is not a whole number of info hashes";
  }
  return "invalid request";
}

std::string_view to_string(response_error error) {
  switch (error) {
    case response_error::too_short: return "response too short";
    case response_error::unknown_action: return "unknown action";
    case response_error::bad_peer_area_length: return "peer list length is not a whole number of peers";
    case response_error::bad_scrape_length: return "scrape length is not a whole number of entries";
  }
  return "invalid response";
}

decode_result decode_request(std::span<const std::uint8_t> packet) {
  if (packet.size() < connect_request_size) return failure(request_error::too_short);
  const connection_id connection{read_be<std::uint64_t>(packet, 0)};
  const std::uint32_t kind = read_be<std::uint32_t>(packet, 8);
  const transaction_id transaction{read_be<std::uint32_t>(packet, 12)};

  switch (kind) {
    case static_cast<std::uint32_t>(action::connect):
      // The protocol id is what makes this a connect: without it, nothing is answered, ever.
      if (connection.value != protocol_id) return failure(request_error::bad_protocol_id);
      return any_request{connect_request{transaction}};
    case static_cast<std::uint32_t>(action::announce):
      return decode_announce(packet, connection, transaction);
    case static_cast<std::uint32_t>(action::scrape):
      return decode_scrape(packet, connection, transaction);
    default:
      return failure(request_error::unknown_action, connection, transaction);
  }
}

std::size_t encode_connect_response(const connect_response& response, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  append_header(out, action::connect, response.transaction);
  append_be(out, response.connection.value);
  return out.size() - start;
}

std::size_t encode_announce_response(const announce_response_header& header, std::span<const ipv4_endpoint> peers,
                                     std::vector<std::uint8_t>& out) {
  return encode_announce_response_of(header, peers, out);
}

std::size_t encode_announce_response(const announce_response_header& header, std::span<const ipv6_endpoint> peers,
                                     std::vector<std::uint8_t>& out) {
  return encode_announce_response_of(header, peers, out);
}

std::size_t encode_scrape_response(transaction_id transaction, std::span<const scrape_entry> entries,
                                   std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.reserve(start + scrape_response_header_size + entries.size() * scrape_response_entry_size);
  append_header(out, action::scrape, transaction);
  for (const scrape_entry& entry : entries) {
    append_be(out, entry.seeders);
    append_be(out, entry.completed);
    append_be(out, entry.leechers);
  }
  return out.size() - start;
}

std::size_t encode_error_response(transaction_id transaction, std::string_view message, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  append_header(out, action::error, transaction);
  out.insert(out.end(), message.begin(), message.end());
  return out.size() - start;
}

response_decode_result decode_response(std::span<const std::uint8_t> packet, address_family family) {
  if (packet.size() < error_response_header_size) return response_error::too_short;
  const std::uint32_t kind = read_be<std::uint32_t>(packet, 0);
  const transaction_id transaction{read_be<std::uint32_t>(packet, 4)};
  switch (kind) {
    case static_cast<std::uint32_t>(action::connect): {
      if (packet.size() < connect_response_size) return response_error::too_short;
      return any_response{connect_response{transaction, connection_id{read_be<std::uint64_t>(packet, 8)}}};
    }
    case static_cast<std::uint32_t>(action::announce): {
      if (packet.size() < announce_response_header_size) return response_error::too_short;
      announce_response decoded;
      decoded.header = {transaction, read_be<std::uint32_t>(packet, 8), read_be<std::uint32_t>(packet, 12),
                        read_be<std::uint32_t>(packet, 16)};
      const bytes area = packet.subspan(announce_response_header_size);
      if (family == address_family::ipv4) {
        if (area.size() % ipv4_peer_size != 0) return response_error::bad_peer_area_length;
        decoded.ipv4_peers = decode_peers<ipv4_endpoint>(area);
      } else {
        if (area.size() % ipv6_peer_size != 0) return response_error::bad_peer_area_length;
        decoded.ipv6_peers = decode_peers<ipv6_endpoint>(area);
      }
      return any_response{std::move(decoded)};
    }
    case static_cast<std::uint32_t>(action::scrape): {
      const bytes area = packet.subspan(scrape_response_header_size);
      if (area.size() % scrape_response_entry_size != 0) return response_error::bad_scrape_length;
      scrape_response decoded{transaction, {}};
      decoded.entries.resize(area.size() / scrape_response_entry_size);
      for (std::size_t i = 0; i < decoded.entries.size(); ++i) {
        const std::size_t offset = i * scrape_response_entry_size;
        decoded.entries[i] = {read_be<std::uint32_t>(area, offset), read_be<std::uint32_t>(area, offset + 4),
                              read_be<std::uint32_t>(area, offset + 8)};
      }
      return any_response{std::move(decoded)};
    }
    case static_cast<std::uint32_t>(action::error): {
      const bytes text = packet.subspan(error_response_header_size);
      return any_response{error_response{transaction, std::string(text.begin(), text.end())}};
    }
    default:
      return response_error::unknown_action;
  }
}

std::size_t encode_connect_request(transaction_id transaction, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  append_be(out, protocol_id);
  append_header(out, action::connect, transaction);
  return out.size() - start;
}

std::size_t encode_announce_request(const announce_request& request, std::vector<std::uint8_t>& out,
                                    const announce_options& options) {
  const std::size_t start = out.size();
  out.reserve(start + announce_request_size + options.url_data.size() + 8);
  append_be(out, request.connection.value);
  append_header(out, action::announce, request.transaction);
  append_bytes(out, request.hash.bytes);
  append_bytes(out, request.peer.bytes);
  append_be(out, static_cast<std::uint64_t>(request.downloaded));
  append_be(out, static_cast<std::uint64_t>(request.left));
  append_be(out, static_cast<std::uint64_t>(request.uploaded));
  append_be(out, static_cast<std::uint32_t>(request.event));
  append_be(out, request.ipv4_address);
  append_be(out, request.key);
  append_be(out, static_cast<std::uint32_t>(request.num_want));
  append_be(out, request.port);
  // BEP 41: option 2 (URL data) carries at most 255 bytes per option; longer data is split.
  std::string_view rest = options.url_data;
  while (!rest.empty()) {
    const std::size_t chunk = rest.size() < 255 ? rest.size() : 255;
    out.push_back(2);
    out.push_back(static_cast<std::uint8_t>(chunk));
    out.insert(out.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(chunk));
    rest.remove_prefix(chunk);
  }
  // No end-of-options byte: libtorrent sends none either (its announce is 98 + 2 + 9 bytes).
  return out.size() - start;
}

std::size_t encode_scrape_request(connection_id connection, transaction_id transaction,
                                  std::span<const info_hash> hashes, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  append_be(out, connection.value);
  append_header(out, action::scrape, transaction);
  for (const info_hash& hash : hashes) append_bytes(out, hash.bytes);
  return out.size() - start;
}

}  // namespace riptide::proto::udp
