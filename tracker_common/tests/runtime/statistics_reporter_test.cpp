#include <catch2/catch.hpp>

#include "tracker/runtime/statistics_reporter.hpp"

using namespace riptide::runtime;

TEST_CASE("statistics sum every worker and report rates over the interval", "[runtime]") {
  worker_counters socket_worker;
  worker_counters request_worker;
  const std::vector<const worker_counters*> workers{&socket_worker, &request_worker};
  const statistics_snapshot before = sum_counters(workers);

  socket_worker.add(counter::announce_requests, 30);
  socket_worker.add(counter::dropped_bad_connection_id, 4);
  socket_worker.add(counter::refused_source_full, 6);
  request_worker.set(gauge::torrents_ipv4, 7);
  request_worker.set(gauge::seeders_ipv4, 2);
  request_worker.set(gauge::leechers_ipv6, 3);
  const statistics_snapshot after = sum_counters(workers);

  CHECK(after.get(counter::announce_requests) == 30);
  const std::string line = format_statistics_line(before, after, 10.0);
  CHECK(line.find("announce=3.0") != std::string::npos);
  CHECK(line.find("bad_connection_id=4") != std::string::npos);
  CHECK(line.find("refused tracker_full=0 source_full=6") != std::string::npos);
  CHECK(line.find("torrents ipv4=7 ipv6=0") != std::string::npos);
  CHECK(line.find("peers=5") != std::string::npos);
}
