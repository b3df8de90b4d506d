// json_spans: the text of members and elements of accepted JSON, checked against Boost.JSON's own
// reading of the same text (the decoder relays these spans as offers and answers).

#include "tracker/proto/json_spans.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <random>
#include <string>

namespace riptide::proto::json_spans {
namespace {

namespace json = boost::json;

TEST_CASE("json spans: members, nested values, strings with brackets and escapes", "[proto][json_spans]") {
  const std::string text =
      R"({"a":1,"offer":{"type":"offer","sdp":"v=0\r\n{[\"}]\\"},"list":[1,{"x":[2]},"]"],"t":true})";
  REQUIRE(json::parse(text).is_object());
  const auto offer = member(text, "offer");
  REQUIRE(offer);
  CHECK(offer->text == R"({"type":"offer","sdp":"v=0\r\n{[\"}]\\"})");
  CHECK(offer->compact);
  CHECK(offer->members == 2);
  CHECK(member(text, "list")->members == 1);  // {"x":[2]} inside
  CHECK(member(text, "a")->text == "1");
  CHECK(member(text, "t")->text == "true");
  const auto list = member(text, "list");
  REQUIRE(list);
  const auto items = elements(list->text);
  REQUIRE(items);
  REQUIRE(items->size() == 3);
  CHECK((*items)[0].text == "1");
  CHECK((*items)[1].text == R"({"x":[2]})");
  CHECK((*items)[2].text == R"("]")");
  CHECK_FALSE(member(text, "missing"));
  CHECK(elements("[]")->empty());
  CHECK_FALSE(member("{}", "a"));
}

TEST_CASE("json spans: whitespace, repeated keys, escaped keys, wrong kinds", "[proto][json_spans]") {
  const std::string spaced = " { \"offer\" : { \"type\" : \"offer\" } , \"b\" : [ 1 , 2 ] } ";
  const auto offer = member(spaced, "offer");
  REQUIRE(offer);
  CHECK(offer->text == R"({ "type" : "offer" })");
  CHECK_FALSE(offer->compact);
  CHECK(elements(member(spaced, "b")->text)->size() == 2);
  // The last of a repeated key, as Boost.JSON keeps it.
  const std::string twice = R"({"k":{"n":1},"k":{"n":2}})";
  CHECK(member(twice, "k")->text == R"({"n":2})");
  CHECK(json::parse(twice).at("k").at("n") == 2);
  // A key with escapes might spell the one asked for: no answer rather than a wrong one.
  CHECK_FALSE(member(R"({"\u006ffer":{},"offer":{}})", "offer"));
  CHECK_FALSE(member("[1]", "a"));
  CHECK_FALSE(elements(R"({"a":1})"));
}

// The slow, obvious way: whitespace and colons seen while not inside a string.
struct outside_strings {
  bool space = false;
  std::size_t colons = 0;
};
outside_strings scan_outside_strings(std::string_view text) {
  outside_strings found;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      found.space = true;
    } else if (c == ':') {
      ++found.colons;
    }
  }
  return found;
}

TEST_CASE("json spans: random documents: every span is the value Boost.JSON read", "[proto][json_spans]") {
  std::mt19937_64 random(11);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  // A random value of depth at most `depth`, written with random whitespace and escapes.
  std::function<std::string(int)> make = [&](int depth) -> std::string {
    const auto space = [&] { return std::string(pick(3), " \t\r\n"[pick(4)]); };
    switch (depth > 0 ? pick(6) : pick(4)) {
      case 0: return std::to_string(random() % 100000) + (pick(2) ? ".5e3" : "");
      case 1: return pick(2) ? "true" : "null";
      case 2:
      case 3: {
        std::string s = "\"";
        for (std::size_t i = pick(12); i > 0; --i) {
          const char* pieces[] = {"a", "\\\"", "\\\\", "\\n", "{", "]", "\\u0041", "\xc3\xa9", ",", ":"};
          s += pieces[pick(10)];
        }
        return s + "\"";
      }
      case 4: {
        std::string s = "[" + space();
        for (std::size_t i = pick(4); i > 0; --i) s += make(depth - 1) + space() + (i > 1 ? "," + space() : "");
        return s + "]";
      }
      default: {
        std::string s = "{" + space();
        for (std::size_t i = pick(4); i > 0; --i) {
          s += "\"k" + std::to_string(pick(3)) + "\"" + space() + ":" + space() + make(depth - 1) + space() +
               (i > 1 ? "," + space() : "");
        }
        return s + "}";
      }
    }
  };
  for (int round = 0; round < 3000; ++round) {
    std::string text = "{";
    for (int i = 0; i < 4; ++i) text += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + make(3);
    text += "}";
    const json::value parsed = json::parse(text);
    for (int i = 0; i < 4; ++i) {
      const std::string key = "k" + std::to_string(i);
      const auto span = member(text, key);
      REQUIRE(span);
      INFO(text);
      CHECK(json::parse(span->text) == parsed.at(key));
      const auto slow = scan_outside_strings(span->text);
      CHECK(span->compact == !slow.space);
      CHECK(span->members == slow.colons);
      if (const auto* array = parsed.at(key).if_array()) {
        const auto items = elements(span->text);
        REQUIRE(items);
        REQUIRE(items->size() == array->size());
        for (std::size_t j = 0; j < items->size(); ++j) CHECK(json::parse((*items)[j].text) == (*array)[j]);
      }
    }
  }
}

}  // namespace
}  // namespace riptide::proto::json_spans
