// json_document: what it accepts and how it reads values, checked against Boost.JSON's parser
// (default options, json_oracle.hpp) on hand-picked and random texts.
#include "tracker/proto/json_document.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "json_oracle.hpp"

namespace riptide::proto {
namespace {

using namespace json_oracle;

void check_agrees(const std::string& text, std::size_t max_depth = 32) {
  INFO("text: " << text << " max_depth " << max_depth);
  CHECK(disagreement(text, max_depth) == "");
}

TEST_CASE("json document: grammar, escapes, UTF-8 and numbers as Boost.JSON reads them", "[proto][json_document]") {
  const char* texts[] = {
      "{}", " {} ", "{} x", "[]", "[1,]", "{\"a\":1,}", "", "  ", "nul", "true false", "[true,false,null]",
      "-0", "-0.0", "0", "01", "1.", "-", "1e", "1E+2", "1e-2", ".5", "+1", "0x10", "1.5e3", "-12.25E-1",
      "1e999", "-1e999", "1e-999", "18446744073709551615", "18446744073709551616", "9223372036854775807",
      "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
      "1e2147483647", "1e2147483648", "1e-2147483647", "1e-2147483648", "0e99999999999", "1e000000000000000000002",
      "-1.5E+0002147483647",
      // Boost.JSON counts the mantissa digits it drops into the exponent, and refuses the number
      // when that overflows.
      "0.01e-2147483647", "1.55e-2147483647", "100000000000000000000e2147483647", "10000000000000000000e2147483647",
      "0.01e-2147483645", "0.01e-2147483646", "12345678901234567890123e2147483620", "1.23456789012345678e-2147483630",
      "0.000000000000000000001e-2147483620", "-0.5e-2147483647",
      "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\uDBFF\\uDFFF\"",
      "\"\\u00e9\\u0000\\u001f\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\x\"", "\"\\\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc0\x80\"", "\"\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"",
      "\"\xc3\"", "\"\x7f\"", "\"a\tb\"", "\"a\nb\"", "\"abcdefghijklmnopqrstuvwxyz0123456789\"",
      "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"a\" :\t1 ,\r\n\"b\" : [ 1 , 2 ] }", "{\"a\"}", "{1:2}",
      "[1 2]", "{\"a\":1 \"b\":2}", "[[[]]]", "[{\"\":{\"\":[]}}]", "\xef\xbb\xbf{}", "{}\x00", "[\"a\"\"b\"]",
  };
  for (const char* text : texts) check_agrees(text);
  // Boost.JSON 1.81 reads 0e400 as NaN; it is 0.
  const auto number_of = [](std::string_view text) {
    const auto parsed = parse_json(text, 32);
    return std::get<json_document>(parsed).root().number().value;
  };
  CHECK(number_of("0e400") == 0.0);
  CHECK(number_of("-0.0e999") == 0.0);
  CHECK(number_of("-1e400") == -HUGE_VAL);
  CHECK(number_of("0.00001e-400") == 0.0);
  CHECK(number_of("123456e-320") == 123456e-320);  // subnormal, still a value
  check_agrees(std::string("[\"a\0b\"]", 7));
  check_agrees(std::string("{\"\0\":1}", 7));
}

TEST_CASE("json document: nesting depth", "[proto][json_document]") {
  check_agrees("1", 0);
  check_agrees("[]", 0);
  check_agrees("[1]", 1);
  check_agrees("[[1]]", 1);
  check_agrees("[[1]]", 2);
  check_agrees("{\"a\":{}}", 1);
  check_agrees("[[1]", 1);   // too deep comes first
  check_agrees("[\"\xff\",[[]]]", 1);  // invalid comes first
  check_agrees("[0.01e-2147483647," + std::string(33, '['), 32);
  // parse_json recurses once per level: it allows json_max_supported_depth at most.
  const std::string deep = std::string(json_max_supported_depth + 1, '[') + std::string(json_max_supported_depth + 1, ']');
  CHECK(our_verdict(deep, 1'000'000) == verdict::too_deep);
  CHECK(our_verdict(deep.substr(1, deep.size() - 2), 1'000'000) == verdict::accepted);
  CHECK(our_verdict(std::string(32, '[') + std::string(32, ']'), 32) == verdict::accepted);
  CHECK(our_verdict(std::string(33, '[') + std::string(33, ']'), 32) == verdict::too_deep);
  CHECK(our_verdict(std::string(100000, '['), 32) == verdict::too_deep);
}

TEST_CASE("json document: strings are read unescaped, compared, and bounded", "[proto][json_document]") {
  const std::string text = R"({"plain":"abc","escaped":"a\"b\\c\u00e9\ud83d\ude00","a":1,"a":2})";
  const auto document = std::get<json_document>(parse_json(text, 32));
  const json_value root = document.root();
  CHECK(root.member("plain")->raw_string() == "abc");
  CHECK(root.member("escaped")->raw_string() == R"(a\"b\\c\u00e9\ud83d\ude00)");
  CHECK(root.member("escaped")->string() == "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(root.member("escaped")->string_equals("a\"b\\c\xc3\xa9\xf0\x9f\x98\x80"));
  CHECK_FALSE(root.member("escaped")->string_equals("a\"b\\c"));
  char small[4];
  CHECK_FALSE(root.member("escaped")->string_in(small));
  CHECK(*root.member("plain")->string_in(small) == "abc");
  CHECK(root.member("a")->number().exact_unsigned == 2u);
  CHECK(root.size() == 4);
  CHECK_FALSE(root.member("missing"));
  CHECK_FALSE(root.member("plain")->member("a"));
  std::string compact;
  root.append_compact(compact);
  CHECK(compact == R"({"plain":"abc","escaped":"a\"b\\c\u00e9\ud83d\ude00","a":2})");
  // Not strings: no text, no unescaping.
  const auto numbers = std::get<json_document>(parse_json("[true,12]", 32));
  numbers.root().for_each_element([](json_value element) {
    CHECK(element.raw_string().empty());
    CHECK(element.string().empty());
    CHECK_FALSE(element.string_equals(""));
  });
}

// A JSON string for `bytes`, one code point per byte, each written as UTF-8 or as an escape at
// random (and always escaped where JSON requires it).
std::string random_binary_string_json(const std::vector<std::uint8_t>& bytes, std::mt19937_64& random) {
  std::string json = "\"";
  char escape[8];
  for (const std::uint8_t b : bytes) {
    const bool must_escape = b < 0x20 || b == '"' || b == '\\';
    if (must_escape || random() % 4 == 0) {
      const char* short_escape = b == '\n' ? "\\n" : b == '"' ? "\\\"" : b == '\\' ? "\\\\" : b == '/' ? "\\/" : nullptr;
      if (short_escape != nullptr && random() % 2 == 0) {
        json += short_escape;
      } else {
        std::snprintf(escape, sizeof escape, random() % 2 ? "\\u%04x" : "\\u%04X", b);
        json += escape;
      }
    } else if (b < 0x80) {
      json += static_cast<char>(b);
    } else {
      json += static_cast<char>(0xc0 | (b >> 6));
      json += static_cast<char>(0x80 | (b & 0x3f));
    }
  }
  return json + "\"";
}

std::optional<std::vector<std::uint8_t>> read_binary_string(const std::string& json, std::size_t room) {
  const auto document = std::get<json_document>(parse_json(json, 32));
  std::vector<std::uint8_t> buffer(room);
  const auto length = document.root().binary_string_in(buffer);
  if (!length) return std::nullopt;
  buffer.resize(*length);
  return buffer;
}

TEST_CASE("json document: binary strings are read one byte per code point", "[proto][json_document]") {
  // Every byte value, in every form it can take.
  for (unsigned b = 0; b < 256; ++b) {
    std::mt19937_64 random(b);
    for (int form = 0; form < 8; ++form) {
      const std::string json = random_binary_string_json({static_cast<std::uint8_t>(b), 'x'}, random);
      INFO("json " << json);
      CHECK(read_binary_string(json, 2) == std::vector<std::uint8_t>{static_cast<std::uint8_t>(b), 'x'});
    }
  }
  // Random ids of random lengths, against the room given.
  std::mt19937_64 random(11);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> bytes(random() % 24);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
    const std::string json = random_binary_string_json(bytes, random);
    const std::size_t room = 20;
    INFO("json " << json);
    if (bytes.size() <= room) {
      CHECK(read_binary_string(json, room) == bytes);
    } else {
      CHECK_FALSE(read_binary_string(json, room));
    }
  }
  // A code point above U+00FF, as UTF-8 or escaped, is no byte.
  for (const char* json : {"\"a\\u0100\"", "\"a\xc4\x80\"", "\"\xdf\xbf\"", "\"\xe2\x82\xac\"", "\"\\u20ac\"",
                           "\"\xf0\x9f\x98\x80\"", "\"\\ud83d\\ude00\""}) {
    INFO("json " << json);
    CHECK_FALSE(read_binary_string(json, 20));
  }
  CHECK(read_binary_string("\"\"", 20) == std::vector<std::uint8_t>{});
  CHECK(read_binary_string("\"\\u00ff\xc3\xbf\"", 2) == std::vector<std::uint8_t>{0xff, 0xff});
  CHECK_FALSE(read_binary_string("\"\\u00ff\xc3\xbf\"", 1));
  // Not strings.
  const auto numbers = std::get<json_document>(parse_json("[12,null,[]]", 32));
  numbers.root().for_each_element([](json_value element) {
    std::uint8_t buffer[20];
    CHECK_FALSE(element.binary_string_in(buffer));
  });
}

TEST_CASE("json document: a repeated key keeps its first place and its last value", "[proto][json_document]") {
  for (const char* text : {R"({"a":1,"b":2,"a":3,"c":4,"b":5})", R"({"a":1,"\u0061":2,"b":{"x":1,"x":[1,{"y":1,"y":2}]}})"}) {
    check_agrees(text);
  }
  const std::string text = R"({"a":1,"b":2,"a":3,"c":4,"b":5})";
  const auto document = std::get<json_document>(parse_json(text, 32));
  std::string compact;
  document.root().append_compact(compact);
  CHECK(compact == R"({"a":3,"b":5,"c":4})");  // as JSON.parse and Boost.JSON read it
}

TEST_CASE("json document: values outlive a move of their document", "[proto][json_document]") {
  const std::string text = R"({"k":"v","n":[1,2,3]})";
  auto parsed = parse_json(text, 32);
  const json_value root = std::get<json_document>(parsed).root();
  const json_document moved = std::move(std::get<json_document>(parsed));
  CHECK(root.member("k")->string() == "v");
  CHECK(moved.root().member("n")->size() == 3);
}

TEST_CASE("json document: a large object with repeated keys keeps the last of each", "[proto][json_document]") {
  std::string text = "{";
  for (int i = 0; i < 1000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i % 300) + "\":" + std::to_string(i);
  text += "}";
  check_agrees(text);
  const auto document = std::get<json_document>(parse_json(text, 32));
  std::string compact;
  document.root().append_compact(compact);
  CHECK(compact.rfind("{\"k0\":900,\"k1\":901,", 0) == 0);
  CHECK(compact.find("\"k0\":0,") == std::string::npos);
}

// A random value of depth at most `depth`: every kind, escapes, surrogate pairs, raw UTF-8,
// numbers near the edges, random whitespace and repeated keys.
std::string random_value(std::mt19937_64& random, int depth) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const auto space = [&] { return std::string(pick(3), " \t\r\n"[pick(4)]); };
  switch (depth > 0 ? pick(7) : pick(5)) {
    case 0: {
      const char* numbers[] = {"0", "-0", "7", "-7", "0.5", "-1.5e3", "1e999", "1e-999", "18446744073709551615",
                               "18446744073709551616", "-9223372036854775809", "3.0", "2E+2", "100e-2"};
      return pick(2) ? std::to_string(random() % 1000000) : numbers[pick(14)];
    }
    case 1: {
      const char* literals[] = {"true", "false", "null"};
      return literals[pick(3)];
    }
    case 2:
    case 3: {
      std::string s = "\"";
      for (std::size_t i = pick(40); i > 0; --i) {
        const char* pieces[] = {"a",       "\\\"",     "\\\\",   "\\n",          "\\r\\n",   "{",        "]",
                                "\\u0041", "\\u00ff", "\\/",    "\\ud83d\\ude00", "\xc3\xa9", "\xe2\x82\xac", ",",
                                "\\t",     "abcdefgh", "\\b\\f", "\xf0\x9f\x98\x80"};
        s += pieces[pick(18)];
      }
      return s + "\"";
    }
    case 4:
    case 5: {
      std::string s = "[" + space();
      for (std::size_t i = pick(4); i > 0; --i) s += random_value(random, depth - 1) + space() + (i > 1 ? "," + space() : "");
      return s + "]";
    }
    default: {
      std::string s = "{" + space();
      for (std::size_t i = pick(5); i > 0; --i) {
        const char* keys[] = {"\"k\"", "\"sdp\"", "\"\\u006b\"", "\"type\"", "\"\""};
        s += keys[pick(5)] + space() + ":" + space() + random_value(random, depth - 1) + space() +
             (i > 1 ? "," + space() : "");
      }
      return s + "}";
    }
  }
}

TEST_CASE("json document: random documents read as Boost.JSON reads them", "[proto][json_document]") {
  std::mt19937_64 random(5);
  for (int round = 0; round < 4000; ++round) check_agrees(random_value(random, 4), 1 + random() % 5);
}

TEST_CASE("json document: random damage is refused exactly when Boost.JSON refuses it", "[proto][json_document]") {
  std::mt19937_64 random(9);
  const char bytes[] = {'"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'u', '0', 'e', '-', '.', 'd', '\0',
                        '\x80', '\xc3', '\xed', '\xff', '\x1f'};
  for (int round = 0; round < 20000; ++round) {
    std::string text = random_value(random, 3);
    for (std::size_t edits = 1 + random() % 3; edits > 0 && !text.empty(); --edits) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text[at] = bytes[random() % sizeof bytes]; break;
        case 1: text.erase(at, 1 + random() % 3); break;
        default: text.insert(at, 1, bytes[random() % sizeof bytes]); break;
      }
    }
    check_agrees(text, 1 + random() % 4);
  }
}

}  // namespace
}  // namespace riptide::proto
