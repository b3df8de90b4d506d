#include "tracker/runtime/privileges.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "tracker/runtime/log.hpp"

namespace riptide::runtime {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// `path` as the file system names it now: made absolute against the current directory, then ".",
// "..", repeated '/' and symbolic links resolved as far as the path exists (weakly_canonical), with
// no trailing '/'. Should resolution fail (a directory that cannot be searched), the path is only
// normalised as text.
std::string resolved_path(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) return path.string();
  std::filesystem::path canonical = std::filesystem::weakly_canonical(absolute, error);
  if (error) canonical = absolute.lexically_normal();
  std::string text = canonical.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// The same, except that a symbolic link as the file itself is kept: certbot renews a certificate
// by pointing live/NAME/fullchain.pem at a new file, and a reload must follow the link anew.
std::string resolved_directory_of(const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error).lexically_normal();
  if (error || !absolute.has_filename()) return resolved_path(path);
  const std::string directory = resolved_path(absolute.parent_path());
  return (directory == "/" ? "" : directory) + "/" + absolute.filename().string();
}

// `named` relative to the root `jail`, or nullopt when it does not lie inside.
std::optional<std::string> inside(const std::string& named, const std::string& jail) {
  if (named.size() > jail.size() + 1 && named.starts_with(jail) && named[jail.size()] == '/') {
    return named.substr(jail.size());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> drop_privileges(const config::privileges_config& config) {
  if (!config.drop) return std::nullopt;
  if (::geteuid() != 0) {
    return "privileges: drop = true needs the tracker started as root (it runs as uid " +
           std::to_string(::geteuid()) + "): start it as root, or set drop = false";
  }

  // Look the user up before chroot: the passwd database lives outside it. A name, or else a
  // number that is a user's id.
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  int lookup = ::getpwnam_r(config.user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr && !config.user.empty() && config.user.size() <= 9 &&
      std::all_of(config.user.begin(), config.user.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    lookup = ::getpwuid_r(static_cast<uid_t>(std::stoul(config.user)), &entry, buffer.data(), buffer.size(), &found);
  }
  if (lookup != 0 || found == nullptr) return "privileges: unknown user " + config.user;
  const uid_t uid = found->pw_uid;
  const gid_t gid = found->pw_gid;
  if (uid == 0) {
    return "privileges: user " + config.user + " is root, and dropping to it would keep every privilege: name an "
           "unprivileged user, or set drop = false";
  }

  if (!config.chroot_path.empty()) {
    if (::chroot(config.chroot_path.c_str()) != 0) return errno_text("privileges: chroot " + config.chroot_path);
    if (::chdir("/") != 0) return errno_text("privileges: chdir / after chroot");
  }
  if (::setgroups(0, nullptr) != 0) return errno_text("privileges: setgroups");
  if (::setgid(gid) != 0) return errno_text("privileges: setgid");
  if (::setuid(uid) != 0) return errno_text("privileges: setuid");
  // Make sure there is no way back.
  if (::setuid(0) == 0) return "privileges: could regain root after setuid";
  return std::nullopt;
}

std::string path_after_chroot(const std::string& path, const config::privileges_config& config) {
  if (!config.drop || config.chroot_path.empty() || path.empty()) return path;
  const std::string jail = resolved_path(config.chroot_path);
  // The file where it is named, its link (if it is one) kept: the jail reaches the link, and each
  // reload follows it. Else a link from outside into the jail: its target, as it is now.
  const std::string named = resolved_directory_of(path);
  // chroot("/") changes nothing but the current directory ("/" after the drop): every file lies
  // inside, and a relative path must be made absolute.
  if (jail == "/") return named;
  if (auto in_jail = inside(named, jail)) return *in_jail;
  if (auto target_in_jail = inside(resolved_path(path), jail)) return *target_in_jail;
  return path;
}

void warn_if_unreadable_after_drop(const config::privileges_config& config, std::string_view what,
                                   const std::string& path) {
  if (!config.drop || path.empty()) return;
  // Non-blocking: a FIFO put there since start-up must not hold the start-up (its reload refuses it).
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (descriptor >= 0) {
    ::close(descriptor);
    return;
  }
  const int error = errno;
  if (error == ENOENT && !config.chroot_path.empty()) {  // it lay outside the chroot directory
    log_warning(what, " ", path, " is not found inside the chroot directory ", config.chroot_path,
                ": a reload will fail and keep what was loaded at start-up; keep the file inside that directory");
    return;
  }
  log_warning(what, " ", path, " cannot be read after the privilege drop to user ", config.user, " (",
              std::strerror(error), "): a reload will fail and keep what was loaded at start-up; make the file "
              "readable by that user (its owner, or its group with mode 0640)");
}

}  // namespace riptide::runtime
