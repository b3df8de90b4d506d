#include "ws_load_report.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "report_format.hpp"

namespace riptide::load_test {
namespace {

// Announces and scrapes sent in the window less the replies to them received in it: near zero while
// the tracker keeps up, the requests it dropped or left queued when it does not.
std::uint64_t unanswered(const ws_counts& m) {
  const std::uint64_t requests = m.of(ws_sent::announce) + m.of(ws_sent::scrape);
  const std::uint64_t replies =
      m.of(ws_received::announce_response) + m.of(ws_received::scrape_response) + m.of(ws_received::failure);
  return requests > replies ? requests - replies : 0;
}

std::string latency_line(const char* name, const latency_histogram& h) {
  return std::string("  ") + name + " latency us  " + latency_percentiles(h) + "  (" + std::to_string(h.count()) +
         " samples)\n";
}

}  // namespace

std::string format_ws_summary_text(const ws_load_config& config, const ws_load_summary& summary) {
  const ws_counts& m = summary.measured;
  const double s = summary.measured_seconds;
  std::string text;
  text += "summary: " + number(s) + " s measured against " + std::string(config.target.tls ? "wss://" : "ws://") +
          config.target.address + ":" + std::to_string(config.target.port) + "\n";
  text += "  connections  " + std::to_string(summary.total.connected) + " of " + std::to_string(config.run.connections) +
          " connected  connect failures " + std::to_string(summary.total.connect_failures) + "  closed " +
          std::to_string(summary.total.closed) + "\n";
  text += "  sent/s      ";
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) {
    text += " " + std::string(to_string(static_cast<ws_sent>(i))) + " " + number(per_second(m.sent[i], s));
  }
  text += "\n  received/s  ";
  for (std::size_t i = 0; i < ws_received_kinds; ++i) {
    text += " " + std::string(to_string(static_cast<ws_received>(i))) + " " + number(per_second(m.received[i], s));
  }
  // Counts over the whole run, warm-up included, to set beside the tracker's own counters.
  text += "\n  whole run    sent";
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) {
    text += " " + std::string(to_string(static_cast<ws_sent>(i))) + " " + std::to_string(summary.total.sent[i]);
  }
  text += "  received";
  for (std::size_t i = 0; i < ws_received_kinds; ++i) {
    text += " " + std::string(to_string(static_cast<ws_received>(i))) + " " + std::to_string(summary.total.received[i]);
  }
  text += "\n  errors       failures " + std::to_string(m.of(ws_received::failure)) + "  malformed " +
          std::to_string(m.malformed) + "  dropped (write queue full) " + std::to_string(m.dropped) + "\n";
  text += "  behind       unanswered requests " + std::to_string(unanswered(m)) +
          "  missed (load_test over an interval late) " + std::to_string(m.missed) + "\n";
  text += latency_line("announce", summary.results.announce_latency_us);
  text += latency_line("scrape  ", summary.results.scrape_latency_us);
  if (!summary.results.first_failure.empty()) text += "  first failure reply: " + summary.results.first_failure + "\n";
  if (!summary.results.first_malformed.empty()) {
    text += "  first malformed reply: " + summary.results.first_malformed + "\n";
  }
  return text;
}

std::string format_ws_summary_json(const ws_load_config& config, const ws_load_summary& summary) {
  const ws_counts& m = summary.measured;
  const double s = summary.measured_seconds;
  boost::json::object json;
  json["mode"] = "ws";
  json["target"] = config.target.address + ":" + std::to_string(config.target.port);
  json["tls"] = config.target.tls;
  json["seconds"] = s;
  json["threads"] = config.run.threads;
  json["connections"] = config.run.connections;
  json["connected"] = summary.total.connected;
  json["connect_failures"] = summary.total.connect_failures;
  json["closed"] = summary.total.closed;
  json["torrents"] = config.torrents.count;
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) {
    const std::string name(to_string(static_cast<ws_sent>(i)));
    json["sent_" + name] = m.sent[i];
    json["sent_" + name + "_per_second"] = per_second(m.sent[i], s);
    json["total_sent_" + name] = summary.total.sent[i];
  }
  for (std::size_t i = 0; i < ws_received_kinds; ++i) {
    const std::string name(to_string(static_cast<ws_received>(i)));
    json["received_" + name] = m.received[i];
    json["received_" + name + "_per_second"] = per_second(m.received[i], s);
    json["total_received_" + name] = summary.total.received[i];
  }
  json["malformed"] = m.malformed;
  json["dropped"] = m.dropped;
  json["unanswered"] = unanswered(m);
  json["missed"] = m.missed;
  const auto latency = [&json](const std::string& name, const latency_histogram& h) {
    json[name + "_latency_us_p50"] = h.percentile(0.5);
    json[name + "_latency_us_p99"] = h.percentile(0.99);
    json[name + "_latency_us_p999"] = h.percentile(0.999);
    json[name + "_latency_us_max"] = h.max();
    json[name + "_latency_samples"] = h.count();
  };
  latency("announce", summary.results.announce_latency_us);
  latency("scrape", summary.results.scrape_latency_us);
  json["first_failure"] = summary.results.first_failure;
  json["first_malformed"] = summary.results.first_malformed;
  return boost::json::serialize(json) + "\n";
}

}  // namespace riptide::load_test
