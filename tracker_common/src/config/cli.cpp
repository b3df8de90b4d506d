// The shared command line (cli.hpp). The only file that includes CLI11.

#include "tracker/config/cli.hpp"

#include <CLI/CLI.hpp>

#ifndef RIPTIDE_VERSION
#error "RIPTIDE_VERSION must be defined by the build (tracker_common/CMakeLists.txt)"
#endif

namespace riptide::config {

std::string_view riptide_version() { return RIPTIDE_VERSION; }

namespace {

// CLI11 messages are one line already; make sure of it.
std::string single_line(std::string_view text) {
  std::string out;
  for (const char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

command_line parse_command_line(int argc, const char* const* argv, std::string_view program,
                                std::string_view description, std::ostream& out, std::ostream& err,
                                const std::vector<extra_flag>& extra_flags) {
  const std::string name(program);
  CLI::App app(std::string(description), name);
  app.footer(
      "Exit codes: 0 success; 1 failure at run time; 2 bad command line or configuration (one line on "
      "stderr).\n`" + name + " -p` prints every option with its meaning, unit and allowed values.");
  app.set_version_flag("-V,--version", name + " " + std::string(riptide_version()), "Print the version and exit");

  command_line command;
  bool print_default = false;
  bool print_parsed = false;
  bool print_markdown = false;
  auto* config = app.add_option("-c,--config", command.config_path, "TOML configuration file (default: the defaults)")
                     ->type_name("FILE");
  auto* defaults = app.add_flag("-p,--print-default-config", print_default,
                                "Print the default configuration, commented, and exit");
  auto* parsed = app.add_flag("-P,--print-parsed-config", print_parsed,
                              "Load the configuration, print it as loaded and exit");
  // Hidden (empty group): renders the option reference of docs/configuration.md from the table.
  app.add_flag("--print-config-markdown", print_markdown, "Print the option reference in markdown")->group("");
  defaults->excludes(config)->excludes(parsed);
  for (const extra_flag& flag : extra_flags) app.add_flag(flag.names, *flag.value, flag.help);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help() << std::flush;
    return {command_line::action::exit, {}, exit_success};
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << '\n' << std::flush;
    return {command_line::action::exit, {}, exit_success};
  } catch (const CLI::ParseError& e) {
    err << "usage error: " << single_line(e.what()) << " (see " << name << " --help)\n" << std::flush;
    return {command_line::action::exit, {}, exit_usage};
  }

  // `-c "$UNSET"` must not quietly run a tracker on the defaults.
  if (config->count() > 0 && command.config_path.empty()) {
    err << "usage error: -c,--config: an empty file name (see " << name << " --help)\n" << std::flush;
    return {command_line::action::exit, {}, exit_usage};
  }
  if (print_markdown) {
    command.what = command_line::action::print_config_markdown;
  } else if (print_default) {
    command.what = command_line::action::print_default_config;
  } else if (print_parsed) {
    command.what = command_line::action::print_parsed_config;
  }
  return command;
}

int print_and_exit_code(std::string_view text, std::ostream& out, std::ostream& err) {
  out << text << std::flush;
  if (!out) {
    err << "error: cannot write to standard output\n" << std::flush;
    return exit_runtime_failure;
  }
  return exit_success;
}

}  // namespace riptide::config
