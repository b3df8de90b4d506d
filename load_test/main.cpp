// load_test: the Riptide load generator. `load_test udp|ws [-c FILE] [-p] [-P] [--json]`.

#include <cstdio>
#include <string>
#include <string_view>

#include "tracker/config/cli.hpp"
#include "tracker/runtime/log.hpp"
#include "udp_load_options.hpp"
#include "udp_load_run.hpp"
#include "ws_load_options.hpp"
#include "ws_load_run.hpp"

namespace {

constexpr const char* usage =
    "usage: load_test MODE [options]\n"
    "modes:\n"
    "  udp    load a UDP tracker (BEP 15)\n"
    "  ws     load a WebTorrent tracker (ws:// or wss://)\n"
    "`load_test MODE --help` lists the options of a mode.\n";

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  if (mode == "-V" || mode == "--version") {
    std::printf("load_test %s\n", std::string(riptide::config::riptide_version()).c_str());
    return 0;
  }
  if (mode == "udp") {
    bool json = false;
    bool print_info_hashes = false;
    auto command = riptide::config::handle_command_line(
        argc - 1, argv + 1, "Riptide load generator for UDP trackers (BEP 15)", riptide::load_test::udp_load_options(),
        std::cout, std::cerr,
        {{"--json", "Print the summary as one JSON line", &json},
         {"--print-info-hashes", "Print the info hashes of the workload (40 hex digits a line, an access list) and exit",
          &print_info_hashes}});
    if (!command.config) return command.exit_code;
    if (print_info_hashes) return riptide::load_test::print_info_hashes(*command.config);
    return riptide::load_test::run_udp_load(*command.config, json);
  }
  if (mode == "ws") {
    bool json = false;
    auto command = riptide::config::handle_command_line(
        argc - 1, argv + 1, "Riptide load generator for WebTorrent trackers", riptide::load_test::ws_load_options(),
        std::cout, std::cerr, {{"--json", "Print the summary as one JSON line", &json}});
    if (!command.config) return command.exit_code;
    return riptide::load_test::run_ws_load(*command.config, json);
  }
  if (mode == "-h" || mode == "--help") {
    std::fputs(usage, stdout);
    return 0;
  }
  // One line, as every other usage error (the mode is escaped: it may hold any byte).
  std::string problem = "usage error: ";
  if (argc < 2) {
    problem += "no mode: udp or ws";
  } else {
    problem += "unknown mode \"";
    riptide::runtime::append_escaped_controls(problem, mode);
    problem += "\": udp or ws";
  }
  problem += " (see load_test --help)\n";
  std::fputs(problem.c_str(), stderr);
  return riptide::config::exit_usage;
}
