#pragma once
// json_document against Boost.JSON's parser (default options): the oracle of the unit tests
// (json_document_test.cpp) and of fuzz/json_document_fuzzer.cpp.

#include <boost/json.hpp>

#include <cmath>
#include <string>
#include <string_view>
#include <variant>

#include "tracker/proto/json_document.hpp"

namespace riptide::proto::json_oracle {

namespace json = boost::json;

enum class verdict { accepted, invalid, too_deep };

inline verdict boost_verdict(std::string_view text, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::error_code ec;
  (void)json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec == json::error::too_deep) return verdict::too_deep;
  return ec ? verdict::invalid : verdict::accepted;
}

inline verdict our_verdict(std::string_view text, std::size_t max_depth) {
  const auto parsed = parse_json(text, max_depth);
  if (const auto* error = std::get_if<json_parse_error>(&parsed)) {
    return *error == json_parse_error::too_deep ? verdict::too_deep : verdict::invalid;
  }
  return verdict::accepted;
}

// Boost.JSON 1.81 rounds some long numbers a few units in the last place off, and reads 0e400
// as NaN; json_document rounds correctly (std::from_chars).
inline bool near(double ours, double theirs) {
  if (std::isnan(theirs)) return ours == 0.0;
  if (ours == theirs) return std::signbit(ours) == std::signbit(theirs);
  return std::isfinite(ours) && std::isfinite(theirs) && std::fabs(ours - theirs) <= 1e-14 * std::fabs(theirs);
}

// Whether `ours` reads as Boost.JSON's `theirs`: same kinds, strings, numbers and elements, and
// objects with the same keys in the same order (first place, last value), also through member().
inline bool same_reading(json_value ours, const json::value& theirs) {
  switch (theirs.kind()) {
    case json::kind::null: return ours.is_null();
    case json::kind::bool_: return ours.kind() == json_kind::boolean && ours.is_true() == theirs.get_bool();
    case json::kind::int64: {
      const json_number n = ours.number();
      const std::int64_t v = theirs.get_int64();
      if (ours.kind() != json_kind::number || n.value != static_cast<double>(v)) return false;
      return v >= 0 ? n.exact_unsigned == static_cast<std::uint64_t>(v) : !n.exact_unsigned;
    }
    case json::kind::uint64: {
      const json_number n = ours.number();
      return ours.kind() == json_kind::number && n.exact_unsigned == theirs.get_uint64() &&
             n.value == static_cast<double>(theirs.get_uint64());
    }
    case json::kind::double_: {
      const json_number n = ours.number();
      return ours.kind() == json_kind::number && !n.exact_unsigned && near(n.value, theirs.get_double());
    }
    case json::kind::string: {
      const json::string& s = theirs.get_string();
      const std::string_view expected(s.data(), s.size());
      return ours.is_string() && ours.string() == expected && ours.string_equals(expected);
    }
    case json::kind::array: {
      const json::array& array = theirs.get_array();
      if (!ours.is_array() || ours.size() != array.size()) return false;
      std::size_t i = 0;
      bool same = true;
      ours.for_each_element([&](json_value element) { same = same && same_reading(element, array[i++]); });
      return same;
    }
    case json::kind::object: {
      const json::object& object = theirs.get_object();
      if (!ours.is_object()) return false;
      auto next = object.begin();
      bool same = true;
      ours.for_each_member_as_read([&](json_value key, json_value value) {
        same = same && next != object.end() && key.string() == std::string_view(next->key()) &&
               same_reading(value, next->value());
        if (next != object.end()) ++next;
      });
      for (const auto& member : object) {
        const auto found = ours.member(std::string_view(member.key()));
        same = same && found && same_reading(*found, member.value());
      }
      return same && next == object.end();
    }
  }
  return false;
}

inline bool whitespace_outside_strings(std::string_view text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      return true;
    }
  }
  return false;
}

// What json_document and Boost.JSON disagree on about `text`, or "" when they agree: the
// verdict (too_deep included), the reading of every value, and the compact text (valid, without
// whitespace, and read by Boost.JSON exactly as the original).
inline std::string disagreement(std::string_view text, std::size_t max_depth) {
  const verdict expected = boost_verdict(text, max_depth);
  if (our_verdict(text, max_depth) != expected) return "verdicts differ";
  if (expected != verdict::accepted) return "";
  const auto document = std::get<json_document>(parse_json(text, max_depth));
  json::parse_options options;
  options.max_depth = max_depth;
  const json::value theirs = json::parse(json::string_view(text.data(), text.size()), {}, options);
  if (!same_reading(document.root(), theirs)) return "readings differ";
  std::string compact;
  document.root().append_compact(compact);
  if (whitespace_outside_strings(compact)) return "whitespace in the compact text " + compact;
  json::error_code ec;
  const json::value again = json::parse(compact, ec, {}, options);
  if (ec || json::serialize(again) != json::serialize(theirs)) return "the compact text reads otherwise: " + compact;
  return "";
}

}  // namespace riptide::proto::json_oracle
