#pragma once
// Start-up helpers for a tracker's worker objects: channels, counters and workers keep references
// to each other, so each lives at a stable address behind a unique_ptr.

#include <cstddef>
#include <memory>
#include <vector>

namespace riptide::runtime {

// `count` objects constructed from the same arguments.
template <typename T, typename... Args>
std::vector<std::unique_ptr<T>> make_each(std::size_t count, const Args&... args) {
  std::vector<std::unique_ptr<T>> objects;
  for (std::size_t i = 0; i < count; ++i) objects.push_back(std::make_unique<T>(args...));
  return objects;
}

template <typename T>
std::vector<T*> pointers_to(const std::vector<std::unique_ptr<T>>& objects) {
  std::vector<T*> pointers;
  for (const auto& object : objects) pointers.push_back(object.get());
  return pointers;
}

}  // namespace riptide::runtime
