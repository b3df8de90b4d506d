// read_regular_file: what an operator's path may point at, and what each gives.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tracker/runtime/regular_file.hpp"

namespace riptide::runtime {
namespace {

class temporary_directory {
 public:
  temporary_directory() {
    std::string pattern = "/tmp/riptide-regular-file-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temporary_directory() {
    const std::string command = "rm -rf '" + path_ + "'";
    [[maybe_unused]] const int status = std::system(command.c_str());
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  REQUIRE(out.good());
}

std::string require_contents(const std::string& path, std::size_t max_bytes) {
  auto result = read_regular_file(path, max_bytes);
  if (const auto* error = std::get_if<file_read_error>(&result)) FAIL("unexpected error: " << error->message);
  return std::get<std::string>(std::move(result));
}

std::string require_error(const std::string& path, std::size_t max_bytes) {
  const auto result = read_regular_file(path, max_bytes);
  REQUIRE(std::holds_alternative<file_read_error>(result));
  const std::string& message = std::get<file_read_error>(result).message;
  CHECK(message.find(path) != std::string::npos);
  return message;
}

TEST_CASE("regular file: read whole, up to and including max_bytes", "[runtime][regular_file]") {
  const temporary_directory directory;
  std::string contents;
  for (int i = 0; i < 256; ++i) contents += static_cast<char>(i);  // every byte value, NUL included
  contents += std::string(100'000, 'x');
  const std::string path = directory.file("list");
  write_file(path, contents);
  CHECK(require_contents(path, contents.size()) == contents);
  CHECK(require_contents(path, contents.size() + 1000) == contents);
  CHECK(require_error(path, contents.size() - 1).find("larger than") != std::string::npos);

  write_file(path, "");
  CHECK(require_contents(path, 10).empty());
  CHECK(require_contents(path, 0).empty());
}

TEST_CASE("regular file: a file whose size reads as 0 is read to its end, within the bound", "[runtime][regular_file]") {
  // /proc files are regular files of size 0 with contents: the buffer grows as it reads.
  const std::string status = require_contents("/proc/self/status", 1 << 20);
  CHECK(status.find("Name:") != std::string::npos);
  CHECK(status.size() > 100);
  CHECK(require_error("/proc/self/status", 50).find("larger than 50 bytes") != std::string::npos);
}

TEST_CASE("regular file: a symbolic link to a regular file is read", "[runtime][regular_file]") {
  const temporary_directory directory;
  write_file(directory.file("target"), "abc\n");
  REQUIRE(::symlink(directory.file("target").c_str(), directory.file("link").c_str()) == 0);
  CHECK(require_contents(directory.file("link"), 100) == "abc\n");
}

TEST_CASE("regular file: anything else is refused without reading", "[runtime][regular_file]") {
  const temporary_directory directory;
  SECTION("missing") {
    CHECK(require_error(directory.file("missing"), 100).find("No such file") != std::string::npos);
  }
  SECTION("a directory") {
    CHECK(require_error(directory.file(""), 1 << 30).find("not a regular file") != std::string::npos);
  }
  SECTION("a FIFO nobody writes to: refused at once, not waited on") {
    // Opened without O_NONBLOCK, this would wait for a writer for ever (ctest's timeout fails it).
    const std::string path = directory.file("fifo");
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    CHECK(require_error(path, 1 << 30).find("not a regular file") != std::string::npos);
  }
  SECTION("a device whose size reads as 0, behind a symbolic link") {
    const std::string path = directory.file("zero");
    REQUIRE(::symlink("/dev/zero", path.c_str()) == 0);
    CHECK(require_error(path, 1 << 30).find("not a regular file") != std::string::npos);
  }
}

}  // namespace
}  // namespace riptide::runtime
