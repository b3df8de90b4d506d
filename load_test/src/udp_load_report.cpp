#include "udp_load_report.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "report_format.hpp"

namespace riptide::load_test {
namespace {

std::uint64_t total_replies(const measured_results& results) {
  return results.replies[0] + results.replies[1] + results.replies[2];
}

double average_peers(const measured_results& results) {
  const std::uint64_t announces = results.replies[static_cast<std::size_t>(request_kind::announce)];
  return announces > 0 ? static_cast<double>(results.announce_peers) / static_cast<double>(announces) : 0;
}

}  // namespace

std::string format_summary_text(const udp_load_config& config, const udp_load_summary& summary) {
  const measured_results& r = summary.results;
  const double s = summary.measured_seconds;
  std::string text;
  text += "summary: " + number(s) + " s measured against " + config.target.address + ":" +
          std::to_string(config.target.port) + "\n";
  text += "  responses/s  total " + number(per_second(total_replies(r), s)) + "  connect " +
          number(per_second(r.replies[0], s)) + "  announce " + number(per_second(r.replies[1], s)) + "  scrape " +
          number(per_second(r.replies[2], s)) + "\n";
  text += "  requests     sent " + std::to_string(r.sent[0] + r.sent[1] + r.sent[2]) + "  answered " +
          std::to_string(total_replies(r)) + "  error replies " + std::to_string(r.error_replies) + "  malformed " +
          std::to_string(r.malformed) + "  lost " + std::to_string(r.lost) + "  late " + std::to_string(r.late) + "\n";
  text += "  peers/announce " + number(average_peers(r)) + "\n";
  text += "  latency us   " + latency_percentiles(r.latency_us) + "\n";
  if (!r.first_error.empty()) text += "  first error reply: " + r.first_error + "\n";
  if (!r.first_malformed.empty()) text += "  first malformed reply: " + r.first_malformed + "\n";
  return text;
}

std::string format_summary_json(const udp_load_config& config, const udp_load_summary& summary) {
  const measured_results& r = summary.results;
  const double s = summary.measured_seconds;
  boost::json::object json;
  json["mode"] = "udp";
  json["target"] = config.target.address + ":" + std::to_string(config.target.port);
  json["seconds"] = s;
  json["threads"] = config.run.threads;
  json["sockets"] = config.run.threads * config.run.sockets_per_thread;
  json["torrents"] = config.torrents.count;
  json["peers"] = config.peers.count;
  json["responses_per_second"] = per_second(total_replies(r), s);
  json["connect_per_second"] = per_second(r.replies[0], s);
  json["announce_per_second"] = per_second(r.replies[1], s);
  json["scrape_per_second"] = per_second(r.replies[2], s);
  json["sent"] = r.sent[0] + r.sent[1] + r.sent[2];
  json["responses"] = total_replies(r);
  json["error_replies"] = r.error_replies;
  json["malformed"] = r.malformed;
  json["lost"] = r.lost;
  json["late"] = r.late;
  json["peers_per_announce"] = average_peers(r);
  json["latency_us_p50"] = r.latency_us.percentile(0.5);
  json["latency_us_p99"] = r.latency_us.percentile(0.99);
  json["latency_us_p999"] = r.latency_us.percentile(0.999);
  json["latency_us_max"] = r.latency_us.max();
  json["latency_samples"] = r.latency_us.count();  // the answers: error and malformed replies are not timed
  json["first_error"] = r.first_error;
  json["first_malformed"] = r.first_malformed;
  return boost::json::serialize(json) + "\n";
}

}  // namespace riptide::load_test
