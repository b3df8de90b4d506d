// The non-template core of option_table.hpp: TOML and markdown rendering, and the strict loader.
// This is the only file that includes toml11.

#include "tracker/config/option_table.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include <toml.hpp>

#include "toml_nesting.hpp"
#include "tracker/proto/utf8.hpp"
#include "tracker/runtime/log.hpp"

namespace riptide::config {

std::string toml_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          constexpr std::string_view hex = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[byte >> 4U];
          out += hex[byte & 0xfU];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string option_spec::full_name() const { return std::string(section) + "." + std::string(key); }

namespace {

// Messages quote user text (keys, strings); they stay one line and a readable length.
constexpr std::size_t max_quoted_length = 60;

bool is_bare_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string quote_short(std::string_view text) {
  if (text.size() <= max_quoted_length) return toml_quoted(text);
  return toml_quoted(text.substr(0, max_quoted_length)) + "...";
}

std::string key_text(std::string_view key) { return is_bare_key(key) ? std::string(key) : quote_short(key); }

std::string dotted(std::string_view section, std::string_view key) { return key_text(section) + "." + key_text(key); }

// The shortest text that reads back as exactly `x`: "0.25", "1", "0.0009", "1e-05", "1e+16", "inf".
// Like Python's repr(), plain decimal from 1e-4 up to 1e16 (plain std::to_chars would write
// 0.0009 as "9e-04", being one character shorter), scientific beyond (or the shorter form there).
std::string shortest(double x) {
  char buffer[64];
  const double magnitude = std::fabs(x);
  const bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e16);
  const auto result = plain ? std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed)
                            : std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

// A double as a TOML float: shortest(), with ".0" added where it would read as an integer.
std::string render_real(double x) {
  std::string text = shortest(x);
  if (text.find_first_of(".e") == std::string::npos && text.find("inf") == std::string::npos &&
      text.find("nan") == std::string::npos) {
    text += ".0";
  }
  return text;
}

std::string render_value(const option_value& value) {
  if (const auto* n = std::get_if<std::uint64_t>(&value)) return std::to_string(*n);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* x = std::get_if<double>(&value)) return render_real(*x);
  return toml_quoted(std::get<std::string>(value));
}

// "an integer from 1 to 86400", "true or false", ...: what a key accepts, for comments and errors.
std::string expectation(const option_spec& spec) {
  switch (spec.kind) {
    case option_kind::unsigned_integer:
      return "an integer from " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
    case option_kind::boolean: return "true or false";
    case option_kind::string: return "a string";
    case option_kind::enumeration: {
      std::string out = "one of ";
      for (std::size_t i = 0; i < spec.names.size(); ++i) {
        if (i > 0) out += ", ";
        out += toml_quoted(spec.names[i]);
      }
      return out;
    }
    case option_kind::real: return "a number from " + shortest(spec.real_min) + " to " + shortest(spec.real_max);
  }
  return {};
}

// The second comment line of an option: kind, range or allowed values, unit.
std::string allowed_line(const option_spec& spec) {
  std::string line;
  switch (spec.kind) {
    case option_kind::unsigned_integer:
      line = "Integer from " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
      break;
    case option_kind::boolean: line = "true or false"; break;
    case option_kind::string: line = "String"; break;
    case option_kind::enumeration: line = expectation(spec); line[0] = 'O'; break;
    case option_kind::real: line = "Number from " + shortest(spec.real_min) + " to " + shortest(spec.real_max); break;
  }
  if (!spec.unit.empty()) line += ", in " + std::string(spec.unit);
  return line + ".";
}

void append_comment(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    out += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Optimal string alignment distance (Levenshtein plus transpositions), for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The closest candidate within two edits (and less than half the word), or nothing.
std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto candidate : candidates) {
    const auto distance = edit_distance(word, candidate);
    if (distance < best_distance && 2 * distance < std::max(word.size(), candidate.size())) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// A message on one line: any control still in it (toml11 quotes the file's text) written as \xNN,
// as the log writes them. Its backslashes stay as they are: the values it quotes are TOML strings
// (toml_quoted), whose backslashes are TOML's escapes.
std::string one_line(std::string_view text) {
  std::string out;
  runtime::append_escaped_controls(out, text, runtime::backslashes::as_is);
  return out;
}

// toml11's what() is a multi-line report ("[error] toml::parse_key: an invalid key appeared.\n
// --> file\n | ...^--- here"); the first line without its prefixes is the useful part, and the
// location (file:line:column) is appended by the caller.
std::string condense_toml_error(std::string_view what) {
  auto first = what.substr(0, what.find('\n'));
  constexpr std::string_view error_tag = "[error] ";
  if (first.starts_with(error_tag)) first.remove_prefix(error_tag.size());
  if (first.starts_with("toml::")) {
    const auto colon = first.find(": ");
    if (colon != std::string_view::npos) first.remove_prefix(colon + 2);
  }
  while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
  return one_line(first.empty() ? std::string_view("unreadable TOML") : first);
}

// An integer as the file wrote it: toml11 3.7 saturates a literal beyond 64 bits to INT64_MAX or
// INT64_MIN, which is not what the person wrote, so such a value is quoted from its source line.
std::string integer_as_written(const toml::value& value) {
  const auto n = value.as_integer();
  if (n != std::numeric_limits<std::int64_t>::max() && n != std::numeric_limits<std::int64_t>::min()) {
    return std::to_string(n);
  }
  const auto location = value.location();
  const std::string_view line = location.line_str();
  if (location.line() == 0 || location.column() == 0 || location.column() - 1 >= line.size()) return std::to_string(n);
  const auto literal = line.substr(location.column() - 1, location.region());
  if (literal.size() > max_quoted_length) return one_line(literal.substr(0, max_quoted_length)) + "...";
  return one_line(literal);
}

// What a value is, for "got ...": the bare number when the key takes numbers of that type (the
// complaint is then about the range), else the type with the value.
std::string type_phrase(const toml::value& value, bool number_expected) {
  switch (value.type()) {
    case toml::value_t::integer: {
      const std::string number = integer_as_written(value);
      return number_expected ? number : "an integer (" + number + ")";
    }
    case toml::value_t::boolean: return std::string("a boolean (") + (value.as_boolean() ? "true" : "false") + ")";
    case toml::value_t::floating:
      return number_expected ? shortest(value.as_floating()) : "a float (" + shortest(value.as_floating()) + ")";
    case toml::value_t::string: return "a string (" + quote_short(value.as_string().str) + ")";
    case toml::value_t::array: return "an array";
    case toml::value_t::table: return "a table";
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time: return "a date or time";
    case toml::value_t::empty: break;
  }
  return "nothing";
}

// Collects problems and keeps the one that comes first in the file: toml11 tables are unordered,
// and the first problem in reading order is the one a person fixes first.
class first_problem {
 public:
  explicit first_problem(std::string_view source_name) : source_name_(source_name) {}

  void add(const toml::value& at, std::string what) {
    const auto location = at.location();
    // Line 0: toml11 knows no position; such a problem sorts after every located one.
    const std::pair<std::uint64_t, std::uint64_t> position{location.line() == 0 ? UINT64_MAX : location.line(),
                                                           location.column()};
    if (message_ && position >= position_) return;
    position_ = position;
    std::string where(source_name_);
    if (location.line() != 0) where += ":" + std::to_string(location.line());
    message_ = detail::make_error(where, what).message;
  }

  std::optional<config_error> result() const {
    if (!message_) return std::nullopt;
    return config_error{*message_};
  }

 private:
  std::string_view source_name_;
  std::optional<std::string> message_;
  std::pair<std::uint64_t, std::uint64_t> position_{};
};

// Checks one value against its option; on success returns the value in the table's terms.
std::optional<option_value> check_value(const option_spec& spec, const toml::value& value, first_problem& problems) {
  const auto complain = [&](bool number_expected) {
    problems.add(value, spec.full_name() + ": expected " + expectation(spec) + ", got " + type_phrase(value, number_expected));
    return std::nullopt;
  };
  switch (spec.kind) {
    case option_kind::unsigned_integer: {
      if (!value.is_integer()) return complain(false);
      const auto n = value.as_integer();
      // toml11 3.7 saturates literals beyond 64 bits to INT64_MAX/INT64_MIN: still out of range.
      if (n < 0 || static_cast<std::uint64_t>(n) < spec.min || static_cast<std::uint64_t>(n) > spec.max) {
        return complain(true);
      }
      return option_value{static_cast<std::uint64_t>(n)};
    }
    case option_kind::boolean:
      if (!value.is_boolean()) return complain(false);
      return option_value{value.as_boolean()};
    case option_kind::string:
      if (!value.is_string()) return complain(false);
      // Addresses, paths and names all reach the system as C strings, which a NUL would cut short.
      if (value.as_string().str.find('\0') != std::string::npos) {
        problems.add(value, spec.full_name() + ": contains a NUL character (\\u0000), which no address, path or name can hold");
        return std::nullopt;
      }
      return option_value{value.as_string().str};
    case option_kind::enumeration: {
      if (!value.is_string()) return complain(false);
      const auto& text = value.as_string().str;
      if (std::find(spec.names.begin(), spec.names.end(), text) == spec.names.end()) return complain(false);
      return option_value{text};
    }
    case option_kind::real: {
      double x = 0;
      if (value.is_floating()) {
        x = value.as_floating();
      } else if (value.is_integer()) {
        x = static_cast<double>(value.as_integer());
      } else {
        return complain(false);
      }
      // Written so that NaN fails too.
      if (!std::isfinite(x) || !(x >= spec.real_min && x <= spec.real_max)) return complain(true);
      return option_value{std::in_place_type<double>, x};
    }
  }
  return std::nullopt;
}

}  // namespace

namespace detail {

config_error make_error(std::string_view where, std::string_view what) {
  // `where` names the file as given on the command line, which may hold any byte but NUL: escaped
  // as the log escapes, its backslashes doubled (it is no TOML). Values in `what` are TOML-quoted.
  std::string file;
  runtime::append_escaped_controls(file, where);
  return config_error{"config error: " + file + ": " + one_line(what)};
}

std::string render_toml(std::string_view program, std::span<const section_spec> sections,
                        std::span<const option_spec> options, std::span<const option_value> values) {
  std::string out;
  const std::string name(program);
  append_comment(out, name + " configuration (TOML).\n`" + name + " -p` prints the defaults; `" + name +
                          " -c FILE -P` prints FILE as loaded.\n"
                          "Every key is optional: a missing key keeps its default. An unknown section or key,\n"
                          "a wrong type or a value out of range is an error.");
  for (const auto& section : sections) {
    out += "\n";
    append_comment(out, section.help);
    out += "[" + std::string(section.name) + "]\n";
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (options[i].section != section.name) continue;
      out += "\n";
      append_comment(out, options[i].help);
      append_comment(out, allowed_line(options[i]));
      out += std::string(options[i].key) + " = " + render_value(values[i]) + "\n";
    }
  }
  return out;
}

std::string render_markdown(std::span<const section_spec> sections, std::span<const option_spec> options,
                            std::span<const option_value> defaults) {
  const auto cell = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      if (c == '\n') {
        out += ' ';
      } else if (c == '|') {
        out += "\\|";
      } else {
        out += c;
      }
    }
    return out;
  };
  std::string out;
  for (const auto& section : sections) {
    if (!out.empty()) out += "\n";
    out += "### [" + std::string(section.name) + "]\n\n" + cell(section.help) + "\n\n";
    out += "| key | default | unit | accepted | meaning |\n|---|---|---|---|---|\n";
    for (std::size_t i = 0; i < options.size(); ++i) {
      const auto& spec = options[i];
      if (spec.section != section.name) continue;
      std::string accepted;
      switch (spec.kind) {
        case option_kind::unsigned_integer:
          accepted = std::to_string(spec.min) + " to " + std::to_string(spec.max);
          break;
        case option_kind::boolean: accepted = "`true`, `false`"; break;
        case option_kind::string: accepted = "string"; break;
        case option_kind::enumeration:
          for (std::size_t n = 0; n < spec.names.size(); ++n) {
            accepted += (n > 0 ? ", `" : "`") + toml_quoted(spec.names[n]) + "`";
          }
          break;
        case option_kind::real:
          accepted = "number, " + shortest(spec.real_min) + " to " + shortest(spec.real_max);
          break;
      }
      out += "| `" + std::string(spec.key) + "` | `" + cell(render_value(defaults[i])) + "` | " +
             std::string(spec.unit) + " | " + accepted + " | " + cell(spec.help) + " |\n";
    }
  }
  return out;
}

std::optional<config_error> parse_toml(std::string_view text, std::string_view source_name,
                                       std::span<const section_spec> sections, std::span<const option_spec> options,
                                       std::vector<std::optional<option_value>>& found) {
  found.assign(options.size(), std::nullopt);
  // TOML files are UTF-8. Checked here, before toml11 sees the text: toml11 3.7.1 (Debian 12)
  // reads past its buffer on invalid UTF-8 in literal strings (toml11 issue #199, fixed upstream
  // after 3.7.1; found here by fuzz/udp_config_fuzzer).
  if (const auto bad = proto::first_invalid_utf8(text)) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    return make_error(std::string(source_name) + ":" + std::to_string(line), "not valid UTF-8 (TOML files are UTF-8)");
  }
  // toml11 recurses once per level of nested tables and arrays, without limit: refused here before
  // it can overflow the stack (toml_nesting.hpp).
  if (const auto line = line_nested_deeper_than(text, max_toml_nesting)) {
    return make_error(std::string(source_name) + ":" + std::to_string(*line),
                      "invalid TOML: tables, arrays or dotted keys nested more than " +
                          std::to_string(max_toml_nesting) + " deep");
  }
  toml::value root;
  try {
    std::istringstream in{std::string(text)};
    root = toml::parse(in, std::string(source_name));
  } catch (const toml::exception& e) {
    std::string where(source_name);
    // Only the line: toml11 3.7's column often points at the start of the line, not the error.
    if (e.location().line() != 0) where += ":" + std::to_string(e.location().line());
    return make_error(where, "invalid TOML: " + condense_toml_error(e.what()));
  } catch (const std::exception& e) {
    return make_error(source_name, "invalid TOML: " + condense_toml_error(e.what()));
  }

  std::vector<std::string_view> section_names;
  for (const auto& section : sections) section_names.push_back(section.name);

  first_problem problems(source_name);
  for (const auto& [name, value] : root.as_table()) {
    const bool known = std::find(section_names.begin(), section_names.end(), name) != section_names.end();
    if (value.is_table() && !known) {
      const auto guess = closest(name, section_names);
      problems.add(value, "unknown section [" + key_text(name) + "]" +
                              (guess ? " (did you mean [" + std::string(*guess) + "]?)" : ""));
      continue;
    }
    if (!value.is_table()) {
      if (known) {
        problems.add(value, key_text(name) + ": expected a table [" + name + "], got " + type_phrase(value, false));
        continue;
      }
      // A key outside every section: point at the section that has it, if one does.
      std::string hint = " (every option belongs in a [section])";
      for (const auto& spec : options) {
        if (spec.key == name) {
          hint = " (did you mean " + spec.full_name() + "?)";
          break;
        }
      }
      problems.add(value, "unknown key " + key_text(name) + hint);
      continue;
    }
    std::vector<std::string_view> keys;
    for (const auto& spec : options) {
      if (spec.section == name) keys.push_back(spec.key);
    }
    for (const auto& [key, item] : value.as_table()) {
      // Plain references: clang 14 cannot capture structured bindings in a lambda.
      const std::string& section_name = name;
      const std::string& key_name = key;
      const auto it = std::find_if(options.begin(), options.end(), [&](const option_spec& spec) {
        return spec.section == section_name && spec.key == key_name;
      });
      if (it == options.end()) {
        const auto guess = closest(key, keys);
        problems.add(item, "unknown key " + dotted(name, key) +
                               (guess ? " (did you mean " + name + "." + std::string(*guess) + "?)" : ""));
        continue;
      }
      const auto index = static_cast<std::size_t>(it - options.begin());
      found[index] = check_value(*it, item, problems);
    }
  }
  return problems.result();
}

std::optional<config_error> read_file(const std::string& path, std::string& contents) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return make_error(path, "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path, std::string("cannot read: ") + std::strerror(errno));
  // A pipe is fine (-c <(...)); what gives more than max_config_bytes (/dev/zero, a log file named
  // by mistake) is refused rather than read until memory runs out.
  std::string text;
  std::array<char, 64 * 1024> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_config_bytes) {
      return make_error(path, "cannot read: more than " + std::to_string(max_config_bytes >> 20) +
                                  " MiB, not a configuration file");
    }
  }
  if (in.bad()) return make_error(path, std::string("cannot read: ") + std::strerror(errno));
  contents = std::move(text);
  return std::nullopt;
}

void check_table(std::span<const section_spec> sections, std::span<const option_spec> options) {
  const auto fail = [](const std::string& what) { throw std::logic_error("option table: " + what); };
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (!is_bare_key(sections[i].name)) fail("bad section name " + std::string(sections[i].name));
    for (std::size_t j = 0; j < i; ++j) {
      if (sections[j].name == sections[i].name) fail("duplicate section " + std::string(sections[i].name));
    }
    if (std::none_of(options.begin(), options.end(), [&](const option_spec& o) { return o.section == sections[i].name; })) {
      fail("section without options " + std::string(sections[i].name));
    }
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    const auto& spec = options[i];
    if (!is_bare_key(spec.key)) fail("bad key " + spec.full_name());
    if (std::none_of(sections.begin(), sections.end(), [&](const section_spec& s) { return s.name == spec.section; })) {
      fail("undeclared section of " + spec.full_name());
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (options[j].section == spec.section && options[j].key == spec.key) fail("duplicate option " + spec.full_name());
    }
    if (spec.kind == option_kind::unsigned_integer && spec.min > spec.max) fail("empty range of " + spec.full_name());
    if (spec.kind == option_kind::real && !(std::isfinite(spec.real_min) && std::isfinite(spec.real_max) &&
                                            spec.real_min <= spec.real_max)) {
      fail("empty or non-finite range of " + spec.full_name());
    }
    if (spec.kind == option_kind::enumeration && spec.names.empty()) fail("no names for " + spec.full_name());
    if (spec.help.empty()) fail("no help for " + spec.full_name());
  }
}

}  // namespace detail
}  // namespace riptide::config
