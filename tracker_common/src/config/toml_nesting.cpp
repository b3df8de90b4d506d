#include "toml_nesting.hpp"

#include <vector>

namespace riptide::config::detail {
namespace {

// One open level: the top level, an array or an inline table, with the dots of the key being
// defined in it (`a.b.c = ...` nests two tables more than `a = ...`).
struct level {
  bool table = true;
  std::size_t key_dots = 0;
};

class nesting_scan {
 public:
  nesting_scan(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  std::optional<std::size_t> run() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
        if (levels_.size() == 1) {  // a key/value pair at the top level ends with its line
          drop_key_dots(levels_.back());
          in_key_ = true;
          line_start_ = true;
        }
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '#') {  // a comment runs to the end of its line
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
      } else if (c == '"' || c == '\'') {
        skip_string();
        line_start_ = false;
      } else if (c == '[' && levels_.size() == 1 && line_start_) {
        if (!table_header()) return line_;
      } else {
        if (!structure(c)) return line_;
        ++i_;
        line_start_ = false;
      }
    }
    return std::nullopt;
  }

 private:
  // Every level counts: open brackets, the dots of the current table header, and those of the key
  // being defined at each open level.
  bool within_limit() const { return levels_.size() - 1 + dots_ <= max_depth_; }

  void drop_key_dots(level& at) {
    dots_ -= at.key_dots;
    at.key_dots = 0;
  }

  bool structure(char c) {
    switch (c) {
      case '[':
      case '{':
        levels_.push_back({c == '{', 0});
        in_key_ = c == '{';
        return within_limit();
      case ']':
      case '}':
        if (levels_.size() > 1) {
          drop_key_dots(levels_.back());
          levels_.pop_back();
        }
        in_key_ = false;
        return true;
      case ',':
        if (levels_.back().table) {  // the next key of an inline table
          drop_key_dots(levels_.back());
          in_key_ = true;
        }
        return true;
      case '=': in_key_ = false; return true;
      case '.':
        if (!in_key_) return true;  // a float or a time
        ++levels_.back().key_dots;
        ++dots_;
        return within_limit();
      default: return true;
    }
  }

  // `[a.b.c]` or `[[a.b.c]]` at the start of a line: its dots count for the keys below it.
  bool table_header() {
    dots_ -= header_dots_;
    header_dots_ = 0;
    ++i_;
    if (i_ < text_.size() && text_[i_] == '[') ++i_;
    while (i_ < text_.size() && text_[i_] != ']' && text_[i_] != '\n') {
      if (text_[i_] == '"' || text_[i_] == '\'') {
        skip_string();
        continue;
      }
      if (text_[i_] == '.') {
        ++header_dots_;
        ++dots_;
        if (!within_limit()) return false;
      }
      ++i_;
    }
    while (i_ < text_.size() && text_[i_] == ']') ++i_;
    in_key_ = false;
    line_start_ = false;
    return true;
  }

  // Skips the string that starts at i_, of any of the four kinds.
  void skip_string() {
    const char quote = text_[i_];
    const bool basic = quote == '"';  // only basic strings have escapes
    const std::string_view triple = basic ? R"(""")" : "'''";
    if (text_.substr(i_, triple.size()) == triple) {
      // Multi-line: ends at the first unescaped triple quote; up to two more quotes right after
      // it still belong to the string (`"""a""""` is `a"`).
      i_ += triple.size();
      while (i_ < text_.size()) {
        if (basic && text_[i_] == '\\') {
          if (i_ + 1 < text_.size() && text_[i_ + 1] == '\n') ++line_;
          i_ += 2;
        } else if (text_.substr(i_, triple.size()) == triple) {
          i_ += triple.size();
          for (int extra = 0; extra < 2 && i_ < text_.size() && text_[i_] == quote; ++extra) ++i_;
          return;
        } else {
          if (text_[i_] == '\n') ++line_;
          ++i_;
        }
      }
      return;
    }
    // One line: ends at the closing quote, or (invalid, for toml11 to report) at the line's end.
    ++i_;
    while (i_ < text_.size() && text_[i_] != quote && text_[i_] != '\n') {
      if (basic && text_[i_] == '\\' && i_ + 1 < text_.size() && text_[i_ + 1] != '\n') ++i_;
      ++i_;
    }
    if (i_ < text_.size() && text_[i_] == quote) ++i_;
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::vector<level> levels_{level{}};  // the top level, then one per open bracket
  std::size_t dots_ = 0;                // header_dots_ plus every level's key_dots
  std::size_t header_dots_ = 0;
  bool in_key_ = true;      // a '.' here separates the parts of a key
  bool line_start_ = true;  // nothing but blanks yet on this top-level line
};

}  // namespace

std::optional<std::size_t> line_nested_deeper_than(std::string_view text, std::size_t max_depth) {
  return nesting_scan(text, max_depth).run();
}

}  // namespace riptide::config::detail
