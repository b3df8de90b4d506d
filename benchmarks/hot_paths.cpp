// Microbenchmarks of the hot paths, outside ctest (a benchmark prints figures; it asserts nothing):
//   - the BEP 15 codec: decoding an announce, encoding an announce reply of 50 peers
//   - the WebTorrent codec: decoding an announce with 5 offers of 1 KB SDP (load_test ws's
//     default), decoding an answer, encoding a relayed offer
//   - a shard: announces of a fixed population (re-announces: lookup + selection), new peers
//   - peer selection alone, on a swarm of 1000
//   - a WebTorrent shard: announces with 5 offers in swarms of 2, 10 and 100 peers (100,000 peers
//     in all), and heap bytes per torrent of torrents with 1 and 5 peers
//   - memory: heap bytes per peer of the swarm data after the population is in (mallinfo2)
//   - the machine: a system call, and a recv that finds nothing on a loopback TCP socket (what a
//     tracker's kernel time is not made of, docs/benchmarks.md)
// Usage: riptide_microbench [peers] [torrents] [max peers per source]
//   (defaults 400000 and 100000, like bench-udp.sh, and tracker_udp's swarm.max_peers_per_source)
// The workload is load_test's: the same Pareto popularity and seed.

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "tracker/config/common_config.hpp"
#include "tracker/core/torrent_shard.hpp"
#include "tracker/core/webtorrent_shard.hpp"
#include "tracker/proto/udp_codec.hpp"
#include "tracker/proto/webtorrent_codec.hpp"
#include "ws_load_messages.hpp"
#include "workload.hpp"

namespace {

using namespace riptide;
using clock_type = std::chrono::steady_clock;

// Runs `body(i)` for i in [0, iterations) five times; prints the median time per call.
template <typename Body>
void measure(const char* name, std::size_t iterations, Body&& body) {
  std::vector<double> per_call;
  for (int run = 0; run < 5; ++run) {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < iterations; ++i) body(i);
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    per_call.push_back(ns / static_cast<double>(iterations));
  }
  std::sort(per_call.begin(), per_call.end());
  std::printf("%-44s %9.1f ns/op  (median of 5 x %zu)\n", name, per_call[2], iterations);
}

// Bytes malloc has handed out, including large blocks it mmap()s (the torrent map arrays).
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// A field of /proc/self/status in kB (VmRSS, VmHWM).
std::size_t status_kb(const char* field) {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  std::size_t value = 0;
  const std::size_t length = std::strlen(field);
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, field, length) == 0) value = std::strtoull(line + length + 1, nullptr, 10);
  }
  std::fclose(status);
  return value;
}

// The accepted end of a connected loopback TCP pair, non-blocking, with nothing to read; -1 if
// the pair could not be made. The other descriptors are left open (the process ends soon).
int idle_loopback_socket() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return -1;
  }
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  return ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
}

proto::ipv4_endpoint endpoint_of(std::uint32_t peer) {
  // Like load_test: 8 sockets on 127.0.0.2.., port 1024 + peer / 8.
  proto::ipv4_endpoint endpoint;
  endpoint.address = {127, 0, 0, static_cast<std::uint8_t>(2 + peer % 8)};
  endpoint.port = static_cast<std::uint16_t>(1024 + peer / 8);
  return endpoint;
}

}  // namespace

int main(int argc, char** argv) {
  load_test::udp_load_config config;
  if (argc > 1) config.peers.count = static_cast<std::uint32_t>(std::strtoul(argv[1], nullptr, 10));
  if (argc > 2) config.torrents.count = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
  const std::uint32_t per_source_limit = argc > 3 ? static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10))
                                                  : riptide::config::swarm_config{}.max_peers_per_source;
  const load_test::peer_population population(config, 8, true);
  std::printf("workload: %u peers over %u torrents (pareto shape %.2f scale %.0f)\n", config.peers.count,
              config.torrents.count, config.torrents.pareto_shape, config.torrents.pareto_scale);

  // --- codec ---
  std::vector<std::uint8_t> packet;
  proto::udp::announce_request request;
  request.connection = proto::connection_id{0x1234};
  request.transaction = proto::transaction_id{7};
  request.hash = load_test::torrent_info_hash(1, 42);
  request.port = 6881;
  proto::udp::encode_announce_request(request, packet, {"/announce"});
  std::size_t sink = 0;
  measure("codec: decode a 109-byte announce", 2'000'000, [&](std::size_t) {
    sink += proto::udp::decode_request(packet).index();
  });
  std::vector<proto::ipv4_endpoint> fifty(50);
  std::vector<std::uint8_t> reply;
  measure("codec: encode an announce reply of 50 peers", 2'000'000, [&](std::size_t) {
    reply.clear();
    sink += proto::udp::encode_announce_response({proto::transaction_id{1}, 1800, 10, 5},
                                                 std::span<const proto::ipv4_endpoint>(fifty), reply);
  });

  // --- the WebTorrent codec ---
  namespace wt = proto::webtorrent;
  // A 1,000-byte SDP of browser-like CRLF-terminated lines (an escape pair every 40 bytes or so),
  // as load_test ws sends it.
  const auto sdp = [&](const char* type) { return load_test::make_sdp_object(type, 1000); };
  // Ids as browsers make them: an info hash and offer ids of random bytes (a third of which a
  // JSON string escapes or writes as two bytes of UTF-8), peer ids of ASCII ("-WW0208-" and
  // base64 in webtorrent's).
  std::mt19937 id_random(7);
  const auto webtorrent_peer_id = [](char tag) {
    proto::peer_id peer;
    const std::string_view text = "-WW0208-kxQ3vJ0tZ2bA";
    std::copy(text.begin(), text.end(), peer.bytes.begin());
    peer.bytes[19] = static_cast<std::uint8_t>(tag);
    return peer;
  };
  wt::announce_message announce;
  announce.hash = load_test::torrent_info_hash(1, 42);
  announce.peer = webtorrent_peer_id('A');
  announce.left = 100;
  announce.numwant = 5;
  for (std::uint8_t i = 0; i < 5; ++i) {
    wt::announce_offer offer{{}, sdp("offer")};
    for (auto& byte : offer.id.bytes) byte = static_cast<std::uint8_t>(id_random());
    announce.offers.push_back(std::move(offer));
  }
  const std::string announce_text = wt::encode_announce(announce);
  wt::announce_message answer;
  answer.hash = announce.hash;
  answer.peer = webtorrent_peer_id('B');
  answer.answer = wt::announce_answer{announce.peer, announce.offers[0].id, sdp("answer")};
  const std::string answer_text = wt::encode_announce(answer);
  const wt::decode_limits limits;
  char label[64];
  std::snprintf(label, sizeof label, "webtorrent: decode a %zu-byte announce", announce_text.size());
  measure(label, 200'000, [&](std::size_t) { sink += wt::decode_client_message(announce_text, limits).index(); });
  std::snprintf(label, sizeof label, "webtorrent: decode a %zu-byte answer", answer_text.size());
  measure(label, 500'000, [&](std::size_t) { sink += wt::decode_client_message(answer_text, limits).index(); });
  const wt::offer_relay relay{announce.hash, announce.peer, announce.offers[0].id, announce.offers[0].offer};
  measure("webtorrent: encode a relayed offer", 500'000, [&](std::size_t) {
    sink += wt::encode_offer_relay(relay).size();
  });

  // --- a shard holding the whole population ---
  core::swarm_rules rules;
  // What tracker_udp counts by default (core's own default counts nothing).
  rules.max_peers_per_source = per_source_limit;
  const std::size_t heap_before = heap_in_use();
  const std::size_t rss_before_kb = status_kb("VmRSS");
  core::torrent_shard shard(rules, core::siphash_key{1, 2}, 3);
  std::vector<proto::ipv4_endpoint> peers_out;
  const auto input_of = [&](std::uint32_t peer) {
    core::announce_input<proto::ipv4_endpoint> input;
    input.hash = load_test::torrent_info_hash(1, population.torrent_of(peer));
    input.endpoint = endpoint_of(peer);
    input.left = population.is_seeder(peer) ? 0 : 1000;
    input.num_want = 50;
    return input;
  };
  const auto fill_start = clock_type::now();
  for (std::uint32_t peer = 0; peer < population.size(); ++peer) {
    peers_out.clear();
    shard.announce(input_of(peer), 10, peers_out);
  }
  const double fill_ns = std::chrono::duration<double, std::nano>(clock_type::now() - fill_start).count();
  const std::size_t heap_after = heap_in_use();
  const std::size_t peak_kb = status_kb("VmHWM");
  const core::shard_totals totals = shard.totals(proto::address_family::ipv4);
  std::printf("%-44s %9.1f ns/op  (%u new peers, one pass)\n", "shard: announce of a new peer", fill_ns / population.size(),
              population.size());
  std::printf("memory: %llu torrents, %llu peers, %.1f heap bytes per peer (%.1f MiB)\n",
              static_cast<unsigned long long>(totals.torrents),
              static_cast<unsigned long long>(totals.seeders + totals.leechers),
              static_cast<double>(heap_after - heap_before) / static_cast<double>(totals.seeders + totals.leechers),
              static_cast<double>(heap_after - heap_before) / (1024.0 * 1024.0));
  std::printf("memory: peak RSS growth %.1f bytes per peer (what bench-udp.sh compares)\n",
              static_cast<double>(peak_kb - rss_before_kb) * 1024.0 / static_cast<double>(totals.seeders + totals.leechers));

  std::mt19937_64 random(9);
  std::vector<std::uint32_t> order(1'000'000);
  for (auto& peer : order) peer = static_cast<std::uint32_t>(random() % population.size());
  std::vector<core::announce_input<proto::ipv4_endpoint>> inputs;
  inputs.reserve(order.size());
  for (const std::uint32_t peer : order) inputs.push_back(input_of(peer));
  measure("shard: re-announce (lookup + 50 peers out)", inputs.size(), [&](std::size_t i) {
    peers_out.clear();
    sink += shard.announce(inputs[i], 11, peers_out).seeders;
  });
  measure("shard: scrape of one torrent", inputs.size(), [&](std::size_t i) {
    sink += shard.scrape(proto::address_family::ipv4, inputs[i].hash).seeders;
  });

  // --- selection alone: one swarm of 1000 leechers, announcer asks for 50 ---
  core::torrent_shard big(rules, core::siphash_key{4, 5}, 6);
  const proto::info_hash hash = load_test::torrent_info_hash(2, 0);
  for (std::uint32_t peer = 0; peer < 1000; ++peer) {
    core::announce_input<proto::ipv4_endpoint> input{hash, endpoint_of(peer), 1000, core::peer_event::none, 0};
    peers_out.clear();
    big.announce(input, 10, peers_out);
  }
  measure("selection: 50 of a swarm of 1000", 1'000'000, [&](std::size_t i) {
    core::announce_input<proto::ipv4_endpoint> input{hash, endpoint_of(static_cast<std::uint32_t>(i % 1000)), 1000,
                                                     core::peer_event::none, 50};
    peers_out.clear();
    sink += big.announce(input, 11, peers_out).leechers;
  });

  // --- a WebTorrent shard: swarms of one size, 100,000 peers in all, one connection per peer ---
  const auto webtorrent_id = [](auto id, std::uint32_t n, std::uint8_t tag) {
    id.bytes.fill(tag);
    std::memcpy(id.bytes.data(), &n, sizeof n);
    return id;
  };
  const auto offer_payload = wt::json_text::parse_object(R"({"type":"offer","sdp":"v=0"})").value();
  for (const std::uint32_t swarm_size : {2U, 10U, 100U}) {
    constexpr std::uint32_t peer_count = 100'000;
    const std::uint32_t torrent_count = peer_count / swarm_size;
    core::webtorrent_shard webtorrent(core::webtorrent_rules{}, core::siphash_key{7, 8});
    std::mt19937_64 shard_random(10);
    const auto webtorrent_input = [&](std::uint32_t peer, std::size_t offers) {
      core::webtorrent_announce input;
      input.hash = webtorrent_id(proto::info_hash{}, peer % torrent_count, 0x11);
      input.peer = webtorrent_id(proto::peer_id{}, peer, 0x22);
      input.connection = core::connection_ref{0, peer + 1};
      input.left = 1000;
      for (std::size_t o = 0; o < offers; ++o) {
        input.offers.push_back({webtorrent_id(proto::offer_id{}, static_cast<std::uint32_t>(random()), 0x33),
                                offer_payload});
      }
      return input;
    };
    for (std::uint32_t peer = 0; peer < peer_count; ++peer) webtorrent.announce(webtorrent_input(peer, 0), 10, shard_random);
    std::vector<core::webtorrent_announce> announces;
    announces.reserve(200'000);
    for (std::size_t i = 0; i < 200'000; ++i) {
      announces.push_back(webtorrent_input(static_cast<std::uint32_t>(random() % peer_count), 5));
    }
    std::snprintf(label, sizeof label, "webtorrent shard: announce, 5 offers, swarm %u", swarm_size);
    std::size_t next = 0;  // each of the 5 runs takes the next fifth of the announces
    measure(label, announces.size() / 5, [&](std::size_t) {
      sink += webtorrent.announce(announces[next++ % announces.size()], 11, shard_random).deliveries.size();
    });
  }
  for (const std::uint32_t swarm_size : {1U, 5U}) {
    constexpr std::uint32_t torrent_count = 20'000;
    const std::size_t heap_start = heap_in_use();
    {
      core::webtorrent_shard webtorrent(core::webtorrent_rules{}, core::siphash_key{7, 8});
      std::mt19937_64 shard_random(10);
      for (std::uint32_t peer = 0; peer < torrent_count * swarm_size; ++peer) {
        core::webtorrent_announce input;
        input.hash = webtorrent_id(proto::info_hash{}, peer % torrent_count, 0x11);
        input.peer = webtorrent_id(proto::peer_id{}, peer, 0x22);
        input.connection = core::connection_ref{0, peer + 1};
        input.left = 1000;
        webtorrent.announce(std::move(input), 10, shard_random);
      }
      std::printf("memory: webtorrent, %u torrents of %u peer(s): %.0f heap bytes per torrent\n", torrent_count,
                  swarm_size, static_cast<double>(heap_in_use() - heap_start) / torrent_count);
    }
  }

  // --- the machine ---
  measure("kernel: a system call (getppid)", 1'000'000, [&](std::size_t) {
    sink += static_cast<std::size_t>(::syscall(SYS_getppid));
  });
  if (const int socket = idle_loopback_socket(); socket >= 0) {
    char buffer[64];
    measure("kernel: recv on an idle loopback TCP socket", 1'000'000, [&](std::size_t) {
      sink += static_cast<std::size_t>(::recv(socket, buffer, sizeof buffer, 0) < 0);
    });
  }

  std::printf("(checksum %zu)\n", sink);
  return 0;
}
