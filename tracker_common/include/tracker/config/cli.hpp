#pragma once
// The command line every Riptide executable shares:
//   -c, --config FILE              load FILE (TOML); without it, the defaults
//   -p, --print-default-config     print the commented defaults and exit
//   -P, --print-parsed-config      load the configuration, print it in the same format and exit
//   -V, --version                  print "PROGRAM VERSION" and exit
//   -h, --help                     print the usage and exit
//   --print-config-markdown        (hidden) print the option reference of docs/configuration.md
//
// Exit codes: 0 after printing what was asked; 2 for a bad command line or a bad configuration,
// after exactly one line on stderr ("usage error: ..." or "config error: ..."); 1 is left to
// run() for failures at run time (port in use, unreadable access list, ...).
//
// main() is then:
//   auto command = config::handle_command_line(argc, argv, "what it is", table);
//   if (!command.config) return command.exit_code;
//   return run(*command.config);
//
// Only cli.cpp knows CLI11.

#include <cstdint>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/config/option_table.hpp"

namespace riptide::config {

inline constexpr int exit_success = 0;
inline constexpr int exit_runtime_failure = 1;  // returned by run(), never by the CLI helper
inline constexpr int exit_usage = 2;            // bad command line or bad configuration

// The CMake project version, e.g. "0.1.0".
std::string_view riptide_version();

// A further on/off flag of one executable, e.g. load_test's `--json`. `names` in CLI11 form
// ("--json" or "-j,--json"); `value` is set when the flag is given.
struct extra_flag {
  std::string names;
  std::string help;
  bool* value = nullptr;
};

// The flags as parsed, before any configuration is read.
struct command_line {
  enum class action : std::uint8_t { run, print_default_config, print_parsed_config, print_config_markdown, exit };
  action what = action::run;
  std::string config_path;  // empty: run with the defaults
  int exit_code = exit_success;  // for action::exit (help, version, usage error), already printed
};

// Parses the flags with CLI11. Prints the help or version to `out`, or one usage-error line to
// `err` (then what is action::exit with exit_usage).
command_line parse_command_line(int argc, const char* const* argv, std::string_view program,
                                std::string_view description, std::ostream& out, std::ostream& err,
                                const std::vector<extra_flag>& extra_flags = {});

// Writes `text` to `out` and flushes; on a write error (stdout closed, disk full) one line on
// `err` and exit_runtime_failure, else exit_success.
int print_and_exit_code(std::string_view text, std::ostream& out, std::ostream& err);

template <typename Config>
struct cli_outcome {
  std::optional<Config> config;  // set: run with this configuration
  int exit_code = exit_success;  // when config is empty: exit with this code (output is printed)
};

// The whole command line: flags, loading and validation, printing. The program name comes from
// the table.
template <typename Config>
cli_outcome<Config> handle_command_line(int argc, const char* const* argv, std::string_view description,
                                        const option_table<Config>& table, std::ostream& out = std::cout,
                                        std::ostream& err = std::cerr, const std::vector<extra_flag>& extra_flags = {}) {
  const auto command = parse_command_line(argc, argv, table.program(), description, out, err, extra_flags);
  switch (command.what) {
    case command_line::action::exit: return {std::nullopt, command.exit_code};
    case command_line::action::print_default_config:
      return {std::nullopt, print_and_exit_code(table.render_defaults(), out, err)};
    case command_line::action::print_config_markdown:
      return {std::nullopt, print_and_exit_code(table.render_markdown(), out, err)};
    case command_line::action::run:
    case command_line::action::print_parsed_config: break;
  }

  Config config{};
  std::optional<config_error> error;
  if (!command.config_path.empty()) {
    error = table.load_file(command.config_path, config);
  } else if (auto broken = table.validate(config)) {
    error = detail::make_error("built-in defaults", *broken);  // a bug in the table, but say so
  }
  if (error) {
    err << error->message << '\n' << std::flush;
    return {std::nullopt, exit_usage};
  }
  if (command.what == command_line::action::print_parsed_config) {
    return {std::nullopt, print_and_exit_code(table.render(config), out, err)};
  }
  return {std::move(config), exit_success};
}

}  // namespace riptide::config
