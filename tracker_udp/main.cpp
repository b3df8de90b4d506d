// tracker_udp: CLI + config + run(), nothing else.

#include "tracker/config/cli.hpp"
#include "tracker/runtime/standard_streams.hpp"
#include "udp_tracker.hpp"
#include "udp_tracker_options.hpp"

int main(int argc, char** argv) {
  if (!riptide::runtime::open_missing_standard_streams()) return 1;
  auto command = riptide::config::handle_command_line(argc, argv, "Riptide BitTorrent UDP tracker (BEP 15)",
                                                      riptide::udp::udp_tracker_options());
  if (!command.config) return command.exit_code;
  return riptide::udp::run(*command.config);
}
