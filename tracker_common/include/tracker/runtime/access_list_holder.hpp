#pragma once
// Owns the current access list and swaps in a new one on reload (SIGUSR1). Socket workers read it
// through an access_list_view, which re-fetches the shared list only when the generation counter
// moved: one relaxed atomic load per batch on the hot path, a mutex only after a reload.
//
// A reload that fails (unreadable file, bad line) keeps the old list and says why.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "tracker/config/common_config.hpp"
#include "tracker/core/access_list.hpp"

namespace riptide::runtime {

class access_list_holder {
 public:
  // Loads the file for modes allow and deny; on failure, returns the reason.
  static std::variant<std::unique_ptr<access_list_holder>, std::string> create(const config::access_list_config& config);

  // Reads the file again. On success the new list is used from the next batch on; on failure the
  // old list stays and the reason is returned.
  std::variant<std::size_t, std::string> reload();
  // Where reloads read from now on (after a chroot: runtime::path_after_chroot).
  void reload_from(std::string path) { path_ = std::move(path); }

  std::shared_ptr<const core::access_list> current() const;
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  bool enabled() const { return mode_ != core::access_list_mode::off; }

 private:
  access_list_holder(core::access_list_mode mode, std::string path, core::siphash_key key);
  std::variant<core::access_list, std::string> load() const;

  core::access_list_mode mode_;
  std::string path_;
  core::siphash_key hash_key_;
  mutable std::mutex mutex_;
  std::shared_ptr<const core::access_list> list_;
  std::atomic<std::uint64_t> generation_{0};
};

// The start-up and SIGUSR1 steps every tracker shares. open_access_list prints one line
// "PROGRAM: reason" on stderr and returns null when the list cannot be loaded; reload_access_list
// reloads and logs the outcome (a failure keeps the previous list).
std::unique_ptr<access_list_holder> open_access_list(const config::access_list_config& config,
                                                     std::string_view program);
void reload_access_list(access_list_holder& holder);

// A socket worker's cached view of the list. Owned by one thread.
class access_list_view {
 public:
  explicit access_list_view(const access_list_holder& holder) : holder_(holder) { refresh(); }

  // Call once per batch: cheap unless a reload happened.
  void refresh() {
    const std::uint64_t generation = holder_.generation();
    if (list_ && generation == generation_) return;
    list_ = holder_.current();
    generation_ = generation;
  }

  bool allows(const proto::info_hash& hash) const { return list_->allows(hash); }

 private:
  const access_list_holder& holder_;
  std::shared_ptr<const core::access_list> list_;
  std::uint64_t generation_ = 0;
};

}  // namespace riptide::runtime
