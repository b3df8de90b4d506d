// tracker_ws: CLI + config + run(), nothing else.

#include "tracker/config/cli.hpp"
#include "tracker/runtime/standard_streams.hpp"
#include "ws_tracker.hpp"
#include "ws_tracker_options.hpp"

int main(int argc, char** argv) {
  if (!riptide::runtime::open_missing_standard_streams()) return 1;
  auto command = riptide::config::handle_command_line(argc, argv, "Riptide WebTorrent tracker (WebSocket)",
                                                      riptide::ws::ws_tracker_options());
  if (!command.config) return command.exit_code;
  return riptide::ws::run(*command.config);
}
