// Where files reloaded after the privilege drop are read: runtime::path_after_chroot.

#include <catch2/catch.hpp>

#include "tracker/runtime/privileges.hpp"

namespace riptide::runtime {
namespace {

config::privileges_config chrooted(const std::string& directory) {
  config::privileges_config privileges;
  privileges.drop = true;
  privileges.chroot_path = directory;
  return privileges;
}

TEST_CASE("a file inside the chroot directory is reloaded from the same file", "[privileges]") {
  CHECK(path_after_chroot("/srv/jail/lists/allow.txt", chrooted("/srv/jail")) == "/lists/allow.txt");
  CHECK(path_after_chroot("/srv/jail/allow.txt", chrooted("/srv/jail/")) == "/allow.txt");
  CHECK(path_after_chroot("/srv/jail/allow.txt", chrooted("/srv/jail//")) == "/allow.txt");
}

TEST_CASE("without a chroot, or outside it, the path stays as configured", "[privileges]") {
  CHECK(path_after_chroot("/etc/allow.txt", config::privileges_config{}) == "/etc/allow.txt");
  config::privileges_config drop_only;
  drop_only.drop = true;
  CHECK(path_after_chroot("/etc/allow.txt", drop_only) == "/etc/allow.txt");
  // Outside the directory, including a sibling whose name merely starts the same way.
  CHECK(path_after_chroot("/etc/allow.txt", chrooted("/srv/jail")) == "/etc/allow.txt");
  CHECK(path_after_chroot("/srv/jail2/allow.txt", chrooted("/srv/jail")) == "/srv/jail2/allow.txt");
  CHECK(path_after_chroot("/srv/jail", chrooted("/srv/jail")) == "/srv/jail");
  CHECK(path_after_chroot("/srv/jail/allow.txt", chrooted("/")) == "/srv/jail/allow.txt");
  // A chroot_path without drop is refused by the configuration; it would not chroot either.
  config::privileges_config no_drop;
  no_drop.chroot_path = "/srv/jail";
  CHECK(path_after_chroot("/srv/jail/allow.txt", no_drop) == "/srv/jail/allow.txt");
}

}  // namespace
}  // namespace riptide::runtime
