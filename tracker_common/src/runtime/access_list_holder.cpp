#include "tracker/runtime/access_list_holder.hpp"

#include "tracker/runtime/log.hpp"
#include "tracker/runtime/regular_file.hpp"

namespace riptide::runtime {
namespace {

core::access_list_mode to_core_mode(config::access_list_mode_config mode) {
  switch (mode) {
    case config::access_list_mode_config::allow: return core::access_list_mode::allow;
    case config::access_list_mode_config::deny: return core::access_list_mode::deny;
    case config::access_list_mode_config::off: break;
  }
  return core::access_list_mode::off;
}

// Larger files are refused: a list of 10 million hashes is 410 MB of text, far beyond any real
// deployment, and reading without a bound would let a wrong path (a huge log) exhaust memory.
constexpr std::size_t max_file_bytes = std::size_t{1} << 30;

}  // namespace

access_list_holder::access_list_holder(core::access_list_mode mode, std::string path, core::siphash_key key)
    : mode_(mode), path_(std::move(path)), hash_key_(key), list_(std::make_shared<const core::access_list>()) {}

std::variant<std::unique_ptr<access_list_holder>, std::string> access_list_holder::create(
    const config::access_list_config& config) {
  std::unique_ptr<access_list_holder> holder(
      new access_list_holder(to_core_mode(config.mode), config.path, core::random_siphash_key()));
  if (!holder->enabled()) return holder;
  auto loaded = holder->load();
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  holder->list_ = std::make_shared<const core::access_list>(std::move(std::get<core::access_list>(loaded)));
  return holder;
}

std::variant<core::access_list, std::string> access_list_holder::load() const {
  const auto contents = read_regular_file(path_, max_file_bytes);
  if (const auto* error = std::get_if<file_read_error>(&contents)) return "cannot read access list " + error->message;
  auto parsed = core::parse_access_list(mode_, std::get<std::string>(contents), hash_key_);
  if (auto* error = std::get_if<core::access_list_parse_error>(&parsed)) {
    return "access list " + path_ + " line " + std::to_string(error->line) + ": " + error->message;
  }
  return std::get<core::access_list>(std::move(parsed));
}

std::variant<std::size_t, std::string> access_list_holder::reload() {
  if (!enabled()) return std::size_t{0};
  auto loaded = load();
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  auto list = std::make_shared<const core::access_list>(std::move(std::get<core::access_list>(loaded)));
  const std::size_t size = list->size();
  {
    const std::lock_guard lock(mutex_);
    list_ = std::move(list);
  }
  generation_.fetch_add(1, std::memory_order_release);
  return size;
}

std::shared_ptr<const core::access_list> access_list_holder::current() const {
  const std::lock_guard lock(mutex_);
  return list_;
}

std::unique_ptr<access_list_holder> open_access_list(const config::access_list_config& config,
                                                     std::string_view program) {
  auto holder_or_error = access_list_holder::create(config);
  if (auto* error = std::get_if<std::string>(&holder_or_error)) {
    write_error_line(program, *error);
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<access_list_holder>>(holder_or_error));
}

void reload_access_list(access_list_holder& holder) {
  const auto reloaded = holder.reload();
  if (const auto* error = std::get_if<std::string>(&reloaded)) {
    log_error("access list reload failed, keeping the previous list: ", *error);
  } else if (holder.enabled()) {
    log_info("access list reloaded: ", std::get<std::size_t>(reloaded), " info hashes");
  } else {
    // Said all the same, so that an operator sees the signal arrived.
    log_info("reload signal: no access list to reload (access_list.mode is off)");
  }
}

}  // namespace riptide::runtime
