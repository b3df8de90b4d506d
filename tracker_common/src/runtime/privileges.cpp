#include "tracker/runtime/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace riptide::runtime {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::optional<std::string> drop_privileges(const config::privileges_config& config) {
  if (!config.drop) return std::nullopt;

  // Look the user up before chroot: the passwd database lives outside it.
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const int lookup = ::getpwnam_r(config.user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (lookup != 0 || found == nullptr) return "privileges: unknown user " + config.user;
  const uid_t uid = found->pw_uid;
  const gid_t gid = found->pw_gid;

  if (!config.chroot_path.empty()) {
    if (::chroot(config.chroot_path.c_str()) != 0) return errno_text("privileges: chroot " + config.chroot_path);
    if (::chdir("/") != 0) return errno_text("privileges: chdir / after chroot");
  }
  if (::setgroups(0, nullptr) != 0) return errno_text("privileges: setgroups");
  if (::setgid(gid) != 0) return errno_text("privileges: setgid");
  if (::setuid(uid) != 0) return errno_text("privileges: setuid");
  // Make sure there is no way back.
  if (uid != 0 && ::setuid(0) == 0) return "privileges: could regain root after setuid";
  return std::nullopt;
}

std::string path_after_chroot(const std::string& path, const config::privileges_config& config) {
  if (!config.drop || config.chroot_path.empty()) return path;
  std::string_view jail = config.chroot_path;
  while (jail.size() > 1 && jail.back() == '/') jail.remove_suffix(1);
  if (jail == "/") return path;
  const std::string_view named = path;
  if (named.size() > jail.size() + 1 && named.substr(0, jail.size()) == jail && named[jail.size()] == '/') {
    return std::string(named.substr(jail.size()));
  }
  return path;
}

}  // namespace riptide::runtime
