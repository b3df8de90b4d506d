#pragma once
// The peers of one WebTorrent torrent by peer id, compact for the small swarms most torrents have.
// Up to `small_up_to` peers the entries sit in a vector, found by comparing ids one after the
// other; beyond, in a boost::unordered_flat_map, as before this table existed. A flat map costs
// its first allocation (29 slots of 64 bytes, about 1.8 KB) even for a torrent of one peer: most
// of what a small torrent cost (docs/benchmarks.md); a swarm of 2 also announces twice as fast
// from a vector (riptide_microbench). Large swarms keep the map's speed.
//
// Entries are std::pair<const peer_id, Value>, handed out as pointers (nullptr: none). As with
// the flat map it replaces: try_emplace may move every entry (pointers are valid only until the
// next insertion), and erase may move one other entry (the last of a small table), so no pointer
// is kept across an erase. Pure data structure; single-threaded.

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "tracker/proto/types.hpp"

namespace riptide::core {

template <typename Value, typename Hasher>
class peer_table {
  using map_type = boost::unordered_flat_map<proto::peer_id, Value, Hasher>;

 public:
  using entry = typename map_type::value_type;  // std::pair<const proto::peer_id, Value>
  using iterator = entry*;
  using const_iterator = const entry*;
  static constexpr std::size_t small_up_to = 16;

  // The map is kept in place, empty (it allocates nothing until used): reaching it through a
  // pointer cost large swarms a cache miss per lookup (riptide_microbench).
  explicit peer_table(Hasher hasher) : large_(0, std::move(hasher)) {}

  std::size_t size() const { return is_large_ ? large_.size() : small_.size(); }
  bool empty() const { return size() == 0; }
  // What find() returns for an absent id.
  static constexpr iterator end() { return nullptr; }

  iterator find(const proto::peer_id& id) { return const_cast<iterator>(std::as_const(*this).find(id)); }
  const_iterator find(const proto::peer_id& id) const {
    if (is_large_) {
      const auto it = large_.find(id);
      return it == large_.end() ? nullptr : &*it;
    }
    for (const entry& candidate : small_) {
      if (candidate.first == id) return &candidate;
    }
    return nullptr;
  }

  // The entry of `id`, added with a default Value if absent (second: whether it was added).
  std::pair<iterator, bool> try_emplace(const proto::peer_id& id) {
    if (const iterator found = find(id)) return {found, false};
    if (!is_large_ && small_.size() == small_up_to) {
      large_.reserve(2 * small_up_to);
      large_.insert(small_.begin(), small_.end());
      std::vector<entry>().swap(small_);
      is_large_ = true;
    }
    if (is_large_) return {&*large_.try_emplace(id).first, true};
    small_.emplace_back(id, Value{});
    return {&small_.back(), true};
  }

  // Removes `at` (a pointer find or try_emplace returned).
  void erase(iterator at) {
    if (is_large_) {
      large_.erase(at->first);
      return;
    }
    entry& last = small_.back();
    if (at != &last) {
      // The key is const: the last entry is rebuilt in the erased one's place.
      std::destroy_at(at);
      std::construct_at(at, std::move(last));
    }
    small_.pop_back();
  }

  // Whether test(const entry&) holds for every entry, stopping at the first that fails; nothing
  // may be added or erased meanwhile.
  template <typename Test>
  bool all_of(Test&& test) const {
    if (is_large_) {
      for (const entry& each : large_) {
        if (!test(each)) return false;
      }
    } else {
      for (const entry& each : small_) {
        if (!test(each)) return false;
      }
    }
    return true;
  }

  // f(const entry&) for every entry; nothing may be added or erased meanwhile.
  template <typename F>
  void for_each(F&& f) const {
    all_of([&](const entry& each) {
      f(each);
      return true;
    });
  }

  // A swarm that was large once gives back its memory when few peers are left (moves entries).
  void shrink_if_sparse() {
    if (!is_large_ || large_.size() > small_up_to / 2) return;
    std::vector<entry>(large_.begin(), large_.end()).swap(small_);
    map_type(0, large_.hash_function()).swap(large_);  // gives its arrays back
    is_large_ = false;
  }

  bool large() const { return is_large_; }

 private:
  map_type large_;
  std::vector<entry> small_;
  bool is_large_ = false;
};

}  // namespace riptide::core
