// The `real` option kind of option_table (a double with an inclusive range), on a tiny table of
// its own: loading floats and integers, strict rejection, rendering that round-trips exactly.

#include "tracker/config/option_table.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using riptide::config::option;
using riptide::config::option_table;

struct test_config {
  struct {
    double x = 0.5;
    std::uint64_t n = 3;
  } t;
};

option_table<test_config> make_table(double min = 0.001, double max = 1000) {
  return option_table<test_config>(
      "test_program", {{"t", "The test section."}},
      {option<test_config>::real("t", "x", "", min, max, [](auto& c) -> auto& { return c.t.x; }, "A real."),
       option<test_config>::integer("t", "n", "peers", 1, 10, [](auto& c) -> auto& { return c.t.n; },
                                    "An integer.")});
}

struct load_result {
  test_config config;
  std::optional<riptide::config::config_error> error;
};

load_result load(std::string_view text) {
  load_result result;
  result.error = make_table().load(text, "test.toml", result.config);
  return result;
}

double load_x(std::string_view text) {
  const auto result = load(text);
  INFO(text);
  REQUIRE_FALSE(result.error.has_value());
  return result.config.t.x;
}

std::string error_of(std::string_view text) {
  const auto result = load(text);
  INFO(text);
  REQUIRE(result.error.has_value());
  const auto& message = result.error->message;
  CHECK(message.starts_with("config error: test.toml"));
  CHECK(message.find('\n') == std::string::npos);
  CHECK(result.config.t.x == 0.5);  // a failed load leaves the config alone
  return message;
}

// The line "KEY = VALUE" of rendered TOML, or "<missing>".
std::string rendered_line(const std::string& toml, std::string_view key) {
  std::istringstream in(toml);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(std::string(key) + " = ")) return line;
  }
  return "<missing>";
}

}  // namespace

TEST_CASE("option table real: a TOML float loads", "[config][option]") {
  CHECK(load_x("[t]\nx = 0.25\n") == 0.25);
  CHECK(load_x("[t]\nx = 1.5e2\n") == 150.0);
  CHECK(load_x("[t]\nx = 1000.0\n") == 1000.0);  // the bounds are inclusive
  CHECK(load_x("[t]\nx = 0.001\n") == 0.001);
  CHECK(load_x("") == 0.5);  // a missing key keeps its default
}

TEST_CASE("option table real: a TOML integer loads as a real", "[config][option]") {
  CHECK(load_x("[t]\nx = 2\n") == 2.0);
  CHECK(load_x("[t]\nx = 1000\n") == 1000.0);
}

TEST_CASE("option table real: other types are errors naming the key", "[config][option]") {
  CHECK(error_of("[t]\nx = \"0.5\"\n") ==
        "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got a string (\"0.5\")");
  CHECK(error_of("[t]\nx = true\n") ==
        "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got a boolean (true)");
  CHECK(error_of("[t]\nx = [1.0]\n").find("t.x: expected a number from 0.001 to 1000, got an array") !=
        std::string::npos);
  // The integer kind still refuses floats.
  CHECK(error_of("[t]\nn = 1.5\n") == "config error: test.toml:2: t.n: expected an integer from 1 to 10, got a float (1.5)");
}

TEST_CASE("option table real: out of range, NaN and infinities are errors", "[config][option]") {
  CHECK(error_of("[t]\nx = 1000.5\n") == "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got 1000.5");
  CHECK(error_of("[t]\nx = 0.0009\n") == "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got 0.0009");
  CHECK(error_of("[t]\nx = 0\n") == "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got 0");
  CHECK(error_of("[t]\nx = -3\n") == "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got -3");
  CHECK(error_of("[t]\nx = 1001\n") == "config error: test.toml:2: t.x: expected a number from 0.001 to 1000, got 1001");
  CHECK(error_of("[t]\nx = nan\n").ends_with(": t.x: expected a number from 0.001 to 1000, got nan"));
  CHECK(error_of("[t]\nx = inf\n").ends_with(": t.x: expected a number from 0.001 to 1000, got inf"));
  CHECK(error_of("[t]\nx = -inf\n").ends_with(": t.x: expected a number from 0.001 to 1000, got -inf"));

  // An unbounded-looking range still rejects the infinities.
  test_config config;
  const auto wide = make_table(-std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
  CHECK(wide.load("[t]\nx = inf\n", "test.toml", config).has_value());
  CHECK(wide.load("[t]\nx = -1e300\n", "test.toml", config) == std::nullopt);
  CHECK(config.t.x == -1e300);
}

TEST_CASE("option table real: rendered values load back exactly", "[config][option]") {
  const auto table = make_table();
  for (const double value : {0.1, 0.25, 1.0, 1e-3, 123.456, 1000.0, 0.3, 2.0 / 3.0, 999.999}) {
    test_config config;
    config.t.x = value;
    const auto toml = table.render(config);
    test_config loaded;
    loaded.t.x = 42;
    INFO(toml);
    REQUIRE(table.load(toml, "rendered.toml", loaded) == std::nullopt);
    CHECK(loaded.t.x == value);
  }
}

TEST_CASE("option table real: rendering is short and keeps a float a float", "[config][option]") {
  const auto table = make_table();
  const auto line_for = [&](double value) {
    test_config config;
    config.t.x = value;
    return rendered_line(table.render(config), "x");
  };
  CHECK(line_for(1.0) == "x = 1.0");
  CHECK(line_for(0.25) == "x = 0.25");
  CHECK(line_for(0.1) == "x = 0.1");
  CHECK(line_for(1e-3) == "x = 0.001");
  CHECK(line_for(123.456) == "x = 123.456");
  CHECK(line_for(1000.0) == "x = 1000.0");
  CHECK(line_for(0.0009) == "x = 0.0009");
  CHECK(line_for(1e-5) == "x = 1e-05");
  CHECK(line_for(1e15) == "x = 1000000000000000.0");
  CHECK(line_for(1e16) == "x = 1e+16");
  CHECK(line_for(-0.0) == "x = -0.0");

  // The comment above the key states the range; the integer option is rendered as before.
  const auto toml = table.render_defaults();
  CHECK(toml.find("# A real.\n# Number from 0.001 to 1000.\nx = 0.5\n") != std::string::npos);
  CHECK(toml.find("# An integer.\n# Integer from 1 to 10, in peers.\nn = 3\n") != std::string::npos);

  const auto markdown = table.render_markdown();
  CHECK(markdown.find("| `x` | `0.5` |  | number, 0.001 to 1000 | A real. |") != std::string::npos);
}

TEST_CASE("option table real: an empty, inverted or non-finite range is a table error", "[config][option]") {
  CHECK_NOTHROW(make_table(0.5, 0.5));
  CHECK_THROWS_AS(make_table(2.0, 1.0), std::logic_error);
  CHECK_THROWS_AS(make_table(std::numeric_limits<double>::quiet_NaN(), 1.0), std::logic_error);
  CHECK_THROWS_AS(make_table(0.0, std::numeric_limits<double>::infinity()), std::logic_error);
  CHECK_THROWS_AS(make_table(-std::numeric_limits<double>::infinity(), 0.0), std::logic_error);
}
