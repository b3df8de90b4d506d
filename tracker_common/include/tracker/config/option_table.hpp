#pragma once
// A table of configuration options, declared once per executable, that drives everything the
// configuration layer does:
//   - `-p`: the commented TOML of the defaults (render(Config{}));
//   - `-P`: the same TOML with the values actually loaded (render(config));
//   - `-c FILE`: loading a TOML file, strictly: unknown sections and keys, wrong types, numbers
//     out of range and unknown enum values are errors; a missing key keeps its default;
//   - the option reference in docs/configuration.md (render_markdown()).
//
// Each option names its [section], key, meaning, unit and kind (unsigned integer with a range,
// boolean, string, an enum spelt as one of a fixed set of strings, or a real number (double) with
// a range, written as a TOML float or integer), plus an accessor into the
// plain config struct: a generic lambda returning a reference, `[](auto& c) -> auto& { return
// c.network.port; }`, so that the same lambda serves to read (const Config&) and to write.
//
// Every error is one line without a trailing newline, "config error: WHERE: WHAT", where WHERE is
// "file:line" (or just "file" for cross-field rules and unreadable files) and WHAT names the key:
//   config error: tracker.toml:3: network.port: expected an integer from 0 to 65535, got 70000
//   config error: tracker.toml:4: unknown key network.prot (did you mean network.port?)
//   config error: tracker.toml:7: unknown section [netwrk] (did you mean [network]?)
//   config error: tracker.toml:2: invalid TOML: bad format: unknown value appeared
//   config error: tracker.toml: swarm.peer_timeout_seconds (1800) must be greater than ...
//
// Only option_table.cpp knows toml11; this header has no TOML types.
// Thread safety: a table is immutable after construction; load/render are const and reentrant.

#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace riptide::config {

enum class option_kind : std::uint8_t { unsigned_integer, boolean, string, enumeration, real };

// What the loader and the renderers know about an option; no accessor, so no template.
// The string_views point at string literals of the table (static storage).
struct option_spec {
  std::string_view section{};
  std::string_view key{};
  std::string_view unit{};  // "seconds", "bytes", "peers", ...; empty when the value has none
  std::string_view help{};  // the meaning; '\n' starts a new comment line in the TOML output
  option_kind kind = option_kind::string;
  std::uint64_t min = 0;                  // unsigned_integer only
  std::uint64_t max = 0;                  // unsigned_integer only
  double real_min = 0;                    // real only: finite, inclusive
  double real_max = 0;                    // real only: finite, inclusive, not below real_min
  std::vector<std::string_view> names{};  // enumeration only: the allowed spellings, in order

  std::string full_name() const;  // "section.key"
};

// A value as the table sees it: integers, booleans and reals as such, strings and enums as strings.
using option_value = std::variant<std::uint64_t, bool, std::string, double>;

struct section_spec {
  std::string_view name;
  std::string_view help;  // printed above [name]; '\n' starts a new comment line
};

// One line, without a newline, starting with "config error: ".
struct config_error {
  std::string message;
};

// `text` as a TOML basic string: quotes, backslashes and control characters escaped, so that the
// result is one line whatever the input holds; non-ASCII UTF-8 passes through. For messages that
// quote a value the file gave.
std::string toml_quoted(std::string_view text);

namespace detail {

// The non-template core, in option_table.cpp. `values[i]` belongs to `options[i]`.
std::string render_toml(std::string_view program, std::span<const section_spec> sections,
                        std::span<const option_spec> options, std::span<const option_value> values);
std::string render_markdown(std::span<const section_spec> sections, std::span<const option_spec> options,
                            std::span<const option_value> defaults);

// Parses `text` and checks it against the options. On success returns nullopt and sets found[i]
// for every option present in the text (found is resized to options.size()); absent ones stay
// nullopt. On failure returns the one-line error of the first problem in the file.
std::optional<config_error> parse_toml(std::string_view text, std::string_view source_name,
                                       std::span<const section_spec> sections, std::span<const option_spec> options,
                                       std::vector<std::optional<option_value>>& found);

// A configuration file is a few KB; a path that gives more than this is not one.
inline constexpr std::size_t max_config_bytes = std::size_t{1} << 20;

// Reads a whole file (or pipe), at most max_config_bytes; on failure a
// "config error: PATH: cannot read: REASON" line.
std::optional<config_error> read_file(const std::string& path, std::string& contents);

// Throws std::logic_error when the table itself is wrong (a programming error, caught by tests):
// a duplicate option, an option in an undeclared section, an empty range (for a real: min > max or
// a bound that is not finite), a section without options.
void check_table(std::span<const section_spec> sections, std::span<const option_spec> options);

config_error make_error(std::string_view where, std::string_view what);

}  // namespace detail

// An option bound to a config struct. Build them with the static factories below.
template <typename Config>
struct option {
  option_spec spec;
  std::function<option_value(const Config&)> get;
  std::function<void(Config&, const option_value&)> set;  // the value is already checked

  // An unsigned integer field, accepted from min to max inclusive. max must fit the field.
  template <typename Access>
  static option integer(std::string_view section, std::string_view key, std::string_view unit, std::uint64_t min,
                        std::uint64_t max, Access access, std::string_view help) {
    using field = std::remove_cvref_t<std::invoke_result_t<Access&, Config&>>;
    static_assert(std::unsigned_integral<field> && !std::same_as<field, bool>, "integer() needs an unsigned field");
    static_assert(std::is_lvalue_reference_v<std::invoke_result_t<Access&, Config&>>, "the accessor must return a reference");
    if (max > std::numeric_limits<field>::max() || min > max) {
      throw std::logic_error("option " + std::string(section) + "." + std::string(key) + ": bad range");
    }
    return {option_spec{.section = section, .key = key, .unit = unit, .help = help,
                        .kind = option_kind::unsigned_integer, .min = min, .max = max},
            [access](const Config& c) -> option_value { return std::uint64_t{access(c)}; },
            [access](Config& c, const option_value& v) { access(c) = static_cast<field>(std::get<std::uint64_t>(v)); }};
  }

  template <typename Access>
  static option boolean(std::string_view section, std::string_view key, Access access, std::string_view help) {
    static_assert(std::same_as<std::invoke_result_t<Access&, Config&>, bool&>, "boolean() needs a bool field");
    return {option_spec{.section = section, .key = key, .help = help, .kind = option_kind::boolean},
            [access](const Config& c) -> option_value { return bool{access(c)}; },
            [access](Config& c, const option_value& v) { access(c) = std::get<bool>(v); }};
  }

  template <typename Access>
  static option string(std::string_view section, std::string_view key, Access access, std::string_view help) {
    static_assert(std::same_as<std::invoke_result_t<Access&, Config&>, std::string&>,
                  "string() needs a std::string field");
    return {option_spec{.section = section, .key = key, .help = help, .kind = option_kind::string},
            [access](const Config& c) -> option_value { return std::string{access(c)}; },
            [access](Config& c, const option_value& v) { access(c) = std::get<std::string>(v); }};
  }

  // A double field, accepted from min to max inclusive (both finite, min <= max: check_table
  // enforces it). TOML may give it as a float or an integer (`shape = 2` is 2.0); NaN and the
  // infinities are rejected. Rendered in the shortest form that reads back exactly ("0.25", "1.0").
  template <typename Access>
  static option real(std::string_view section, std::string_view key, std::string_view unit, double min, double max,
                     Access access, std::string_view help) {
    static_assert(std::same_as<std::invoke_result_t<Access&, Config&>, double&>, "real() needs a double field");
    return {option_spec{.section = section, .key = key, .unit = unit, .help = help, .kind = option_kind::real,
                        .real_min = min, .real_max = max},
            [access](const Config& c) -> option_value { return option_value{std::in_place_type<double>, access(c)}; },
            [access](Config& c, const option_value& v) { access(c) = std::get<double>(v); }};
  }

  // An enum field spelt in TOML as one of `names` (pairs of spelling and enumerator; every
  // enumerator the field can hold must be listed, or rendering it throws std::logic_error).
  template <typename Enum, typename Access>
  static option enumeration(std::string_view section, std::string_view key,
                            std::vector<std::pair<std::string_view, Enum>> names, Access access,
                            std::string_view help) {
    static_assert(std::same_as<std::invoke_result_t<Access&, Config&>, Enum&>, "enumeration() needs an Enum field");
    option_spec spec{.section = section, .key = key, .help = help, .kind = option_kind::enumeration};
    for (const auto& entry : names) spec.names.push_back(entry.first);
    return {std::move(spec),
            [access, names](const Config& c) -> option_value {
              for (const auto& [name, value] : names) {
                if (value == access(c)) return std::string(name);
              }
              throw std::logic_error("an enumerator without a name in the option table");
            },
            [access, names](Config& c, const option_value& v) {
              for (const auto& [name, value] : names) {
                if (name == std::get<std::string>(v)) access(c) = value;
              }
            }};
  }
};

template <typename Config>
class option_table {
 public:
  // Cross-field rules, run after every load (and on the defaults): nullopt when the config is
  // fine, else one line naming the keys involved, e.g. "swarm.peer_timeout_seconds (60) must be
  // greater than swarm.announce_interval_seconds (1800)" (the table adds "config error: FILE: ").
  using validator = std::function<std::optional<std::string>(const Config&)>;

  // `program` names the executable in the header comment of the rendered TOML. Sections are
  // rendered in the order given, options within a section in table order.
  option_table(std::string_view program, std::vector<section_spec> sections, std::vector<option<Config>> options,
               validator validate = {})
      : program_(program), sections_(std::move(sections)), validate_(std::move(validate)) {
    for (auto& o : options) {
      specs_.push_back(std::move(o.spec));
      getters_.push_back(std::move(o.get));
      setters_.push_back(std::move(o.set));
    }
    detail::check_table(sections_, specs_);
  }

  std::string_view program() const { return program_; }
  std::span<const section_spec> sections() const { return sections_; }
  std::span<const option_spec> options() const { return specs_; }

  // `-P` (and, with Config{}, `-p`): commented TOML, grouped by section, ending in a newline.
  std::string render(const Config& config) const {
    return detail::render_toml(program_, sections_, specs_, values_of(config));
  }
  std::string render_defaults() const { return render(Config{}); }

  // The option reference of docs/configuration.md: one markdown table per section.
  std::string render_markdown() const { return detail::render_markdown(sections_, specs_, values_of(Config{})); }

  // Loads TOML text over `config` (which holds the starting values, normally the defaults) and
  // runs the validator. `config` is changed only on success. `source_name` names the text in
  // errors (the file path).
  std::optional<config_error> load(std::string_view text, std::string_view source_name, Config& config) const {
    std::vector<std::optional<option_value>> found;
    if (auto error = detail::parse_toml(text, source_name, sections_, specs_, found)) return error;
    Config loaded = config;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (found[i]) setters_[i](loaded, *found[i]);
    }
    if (auto error = validate(loaded)) return detail::make_error(source_name, *error);
    config = std::move(loaded);
    return std::nullopt;
  }

  std::optional<config_error> load_file(const std::string& path, Config& config) const {
    std::string text;
    if (auto error = detail::read_file(path, text)) return error;
    return load(text, path, config);
  }

  // The cross-field rules alone, without the "config error: " prefix.
  std::optional<std::string> validate(const Config& config) const {
    if (!validate_) return std::nullopt;
    return validate_(config);
  }

 private:
  std::vector<option_value> values_of(const Config& config) const {
    std::vector<option_value> values;
    values.reserve(getters_.size());
    for (const auto& get : getters_) values.push_back(get(config));
    return values;
  }

  std::string program_;
  std::vector<section_spec> sections_;
  std::vector<option_spec> specs_;
  std::vector<std::function<option_value(const Config&)>> getters_;
  std::vector<std::function<void(Config&, const option_value&)>> setters_;
  validator validate_;
};

}  // namespace riptide::config
