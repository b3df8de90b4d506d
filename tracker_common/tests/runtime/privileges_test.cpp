// Where files reloaded after the privilege drop are read: runtime::path_after_chroot.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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
  CHECK(path_after_chroot("", chrooted("/srv/jail")).empty());  // no file (a TLS path when TLS is off)
  // A chroot_path without drop is refused by the configuration; it would not chroot either.
  config::privileges_config no_drop;
  no_drop.chroot_path = "/srv/jail";
  CHECK(path_after_chroot("/srv/jail/allow.txt", no_drop) == "/srv/jail/allow.txt");
}

// A scratch tree for the cases that depend on the file system; the current directory is put back.
class scratch_tree {
 public:
  scratch_tree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "riptide-privileges-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = std::filesystem::canonical(pattern);  // the expected paths below are resolved ones
    std::filesystem::create_directories(root_ / "jail" / "lists");
    std::ofstream(root_ / "jail" / "lists" / "allow.txt") << "\n";
    std::ofstream(root_ / "outside.txt") << "\n";
    std::filesystem::create_directory_symlink(root_ / "jail", root_ / "jail-link");
    std::filesystem::create_symlink(root_ / "jail" / "lists" / "allow.txt", root_ / "allow-link.txt");
    std::filesystem::create_symlink("../../outside.txt", root_ / "jail" / "lists" / "escape.txt");
    // As certbot lays them out: live/NAME/fullchain.pem -> ../../archive/NAME/fullchain1.pem.
    std::filesystem::create_directories(root_ / "jail" / "archive" / "name");
    std::filesystem::create_directories(root_ / "jail" / "live" / "name");
    std::ofstream(root_ / "jail" / "archive" / "name" / "fullchain1.pem") << "\n";
    std::filesystem::create_symlink("../../archive/name/fullchain1.pem",
                                    root_ / "jail" / "live" / "name" / "fullchain.pem");
    previous_directory_ = std::filesystem::current_path();
  }
  ~scratch_tree() {
    std::filesystem::current_path(previous_directory_);
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  scratch_tree(const scratch_tree&) = delete;
  scratch_tree& operator=(const scratch_tree&) = delete;

  std::string at(const std::string& relative) const { return (root_ / relative).string(); }
  void enter() const { std::filesystem::current_path(root_); }

 private:
  std::filesystem::path root_;
  std::filesystem::path previous_directory_;
};

TEST_CASE("paths are resolved before they are compared with the chroot directory", "[privileges]") {
  const scratch_tree tree;
  const auto jail = chrooted(tree.at("jail"));
  // "..", "." and "//" in the file's path or in the chroot directory's.
  CHECK(path_after_chroot(tree.at("jail/../jail//lists/./allow.txt"), jail) == "/lists/allow.txt");
  CHECK(path_after_chroot(tree.at("jail/lists/allow.txt"), chrooted(tree.at("outside/../jail/."))) ==
        "/lists/allow.txt");
  // Symbolic links: to the chroot directory (chroot follows it too), and to the file.
  CHECK(path_after_chroot(tree.at("jail/lists/allow.txt"), chrooted(tree.at("jail-link"))) == "/lists/allow.txt");
  CHECK(path_after_chroot(tree.at("jail-link/lists/allow.txt"), jail) == "/lists/allow.txt");
  CHECK(path_after_chroot(tree.at("allow-link.txt"), jail) == "/lists/allow.txt");
  // A file that does not exist yet is placed by the part of its path that does.
  CHECK(path_after_chroot(tree.at("jail-link/lists/later.txt"), jail) == "/lists/later.txt");
  // Text that starts with the directory's name but leads out of it by "..".
  CHECK(path_after_chroot(tree.at("jail/../outside.txt"), jail) == tree.at("jail/../outside.txt"));
  // A link inside the jail is kept, whatever it points at: in the jail, one leading out of it
  // reaches nothing (the reload says so), and one inside is followed anew at each reload.
  CHECK(path_after_chroot(tree.at("jail/lists/escape.txt"), jail) == "/lists/escape.txt");
  CHECK(path_after_chroot(tree.at("jail/live/name/fullchain.pem"), jail) == "/live/name/fullchain.pem");
  CHECK(path_after_chroot(tree.at("jail-link/live/name/fullchain.pem"), jail) == "/live/name/fullchain.pem");
}

TEST_CASE("a relative path is taken from the current directory at start-up", "[privileges]") {
  const scratch_tree tree;
  tree.enter();
  // The case of the review: after chroot and chdir("/"), "jail/lists/allow.txt" would name
  // /jail/lists/allow.txt inside the jail, a file that is not there (or, worse, another one).
  CHECK(path_after_chroot("jail/lists/allow.txt", chrooted(tree.at("jail"))) == "/lists/allow.txt");
  CHECK(path_after_chroot("./jail-link//lists/allow.txt", chrooted(tree.at("jail"))) == "/lists/allow.txt");
  // Outside the directory: unchanged, so taken inside the chroot from its "/", as documented.
  CHECK(path_after_chroot("outside.txt", chrooted(tree.at("jail"))) == "outside.txt");
  // chroot("/") only moves the current directory to "/": the path is made absolute.
  CHECK(path_after_chroot("jail/lists/allow.txt", chrooted("/")) == tree.at("jail/lists/allow.txt"));
  CHECK(path_after_chroot("jail/lists/allow.txt", config::privileges_config{}) == "jail/lists/allow.txt");
}

}  // namespace
}  // namespace riptide::runtime
