// SPDX-License-Identifier: MIT
// mqttwire: a broker's subscription index, a trie over topic levels (allocates; not constexpr).
#ifndef MQTTWIRE_SUBSCRIPTION_INDEX_HPP
#define MQTTWIRE_SUBSCRIPTION_INDEX_HPP

#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/topic.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mqttwire {

/// The (topic filter, subscriber) pairs of a broker, indexed so that a published topic finds the
/// subscribers whose filters match it without testing every filter: a trie with one node per
/// filter level, where '+' and '#' are children of their own. A lookup visits at most two
/// children per topic level (the literal level and '+') plus the '#' leaves on the way, so its
/// cost depends on the topic and the matches, not on the number of filters.
///
/// Matching follows topic_matches() exactly (spec reference §4.3), including the '$' rule
/// [MQTT-4.7.2-1] unless turned off. `Subscriber` is any copyable id ordered by `Compare` (a
/// client id, a session pointer, an index...). It allocates (std::map, std::set, std::string, and
/// a small work list in match()), so it is not constexpr and may throw std::bad_alloc; it is not
/// synchronised: guard it if several threads use it.
template <class Subscriber = std::uint64_t, class Compare = std::less<Subscriber>>
class subscription_index {
 public:
  explicit subscription_index(bool dollar_rule = true, const options& rules = {})
      : dollar_rule_(dollar_rule), rules_(rules) {}
  subscription_index(subscription_index&&) noexcept = default;
  subscription_index& operator=(subscription_index&& other) noexcept {
    if (this != &other) {
      dismantle(root_);
      root_ = std::move(other.root_);
      size_ = std::exchange(other.size_, 0);
      dollar_rule_ = other.dollar_rule_;
      rules_ = other.rules_;
    }
    return *this;
  }
  ~subscription_index() { dismantle(root_); }

  /// Removes every pair.
  void clear() noexcept {
    dismantle(root_);
    root_.subscribers.clear();
    root_.filter.clear();
    size_ = 0;
  }

  /// Adds the pair. Returns true if it is new, false if it was there already (a SUBSCRIBE that
  /// repeats a filter replaces the subscription [MQTT-3.8.4-3]; keep its QoS outside). An invalid
  /// filter is refused with validate_topic_filter()'s error and offset.
  result<bool> add(std::string_view filter, const Subscriber& s) {
    if (const error e = validate_topic_filter(filter, rules_); e.code != errc::success) return e;
    node* n = &root_;
    for_each_level(filter, [&](std::string_view level) { n = &n->child(level); });
    if (n->subscribers.empty()) n->filter = std::string(filter);
    const bool added = n->subscribers.insert(s).second;
    size_ += added ? 1 : 0;
    return added;
  }

  /// Removes the pair; filters are compared literally, as UNSUBSCRIBE does [MQTT-3.10.4-1].
  /// Returns true if it was there. Nodes left empty are freed. An invalid filter is refused
  /// with validate_topic_filter()'s error.
  result<bool> remove(std::string_view filter, const Subscriber& s) {
    if (const error e = validate_topic_filter(filter, rules_); e.code != errc::success) return e;
    std::vector<std::pair<node*, std::string_view>> path;  // parent and the level leaving it
    node* n = &root_;
    bool found = true;
    for_each_level(filter, [&](std::string_view level) {
      if (!found) return;
      node* next = n->find(level);
      if (next == nullptr) {
        found = false;
        return;
      }
      path.emplace_back(n, level);
      n = next;
    });
    if (!found || n->subscribers.erase(s) == 0) return false;
    --size_;
    prune(path);
    return true;
  }

  /// Removes every pair of `s` (a session that ends); returns how many. Walks the whole trie.
  std::size_t remove_all(const Subscriber& s) {
    const std::size_t removed = remove_all_below(root_, s);
    size_ -= removed;
    return removed;
  }

  /// True when the pair is in the index.
  bool contains(std::string_view filter, const Subscriber& s) const {
    const node* n = &root_;
    for_each_level(filter, [&](std::string_view level) {
      if (n != nullptr) n = n->find(level);
    });
    return n != nullptr && n->subscribers.count(s) != 0;
  }

  /// Calls `f(subscriber)` or `f(subscriber, filter)` once for every pair whose filter matches
  /// the topic name `topic` (a subscriber with several matching filters is reported once per
  /// filter; a broker delivers once at the highest QoS of those [MQTT-3.3.5-1]). Returns the
  /// number of trie nodes visited, a measure of the work done. The index must not be changed
  /// from inside `f`. Precondition: `topic` is a valid topic name (decode has checked it).
  template <class F>
  std::size_t match(std::string_view topic, F&& f) const {
    struct step {
      const node* at;
      std::size_t pos;  // start of the topic level to match below `at`
      bool done;        // the topic has no level left
    };
    std::vector<step> work{{&root_, 0, false}};
    std::size_t visited = 0;
    const bool dollar = dollar_rule_ && !topic.empty() && topic.front() == '$';
    while (!work.empty()) {
      const step s = work.back();
      work.pop_back();
      ++visited;
      // A wildcard may not stand for the first level of a '$' topic [MQTT-4.7.2-1].
      const bool wildcards = !(dollar && s.at == &root_);
      // '#' matches what is left of the topic, zero levels included ("sport/#" and "sport").
      if (wildcards && s.at->hash) {
        ++visited;
        report(*s.at->hash, f);
      }
      if (s.done) {
        report(*s.at, f);
        continue;
      }
      const std::size_t slash = topic.find('/', s.pos);
      const bool last = slash == std::string_view::npos;
      const std::size_t end = last ? topic.size() : slash;
      const std::size_t next_pos = last ? topic.size() : slash + 1;
      if (const node* lit = s.at->find_literal(topic.substr(s.pos, end - s.pos))) {
        work.push_back({lit, next_pos, last});
      }
      if (wildcards && s.at->plus) work.push_back({s.at->plus.get(), next_pos, last});
    }
    return visited;
  }

  /// The subscribers whose filters match `topic`, once per matching pair, in no set order.
  std::vector<Subscriber> matches(std::string_view topic) const {
    std::vector<Subscriber> out;
    match(topic, [&](const Subscriber& s) { out.push_back(s); });
    return out;
  }

  /// Number of (filter, subscriber) pairs.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool dollar_rule() const noexcept { return dollar_rule_; }

 private:
  struct node {
    std::map<std::string, std::unique_ptr<node>, std::less<>> literal;  // transparent lookup
    std::unique_ptr<node> plus;
    std::unique_ptr<node> hash;
    std::set<Subscriber, Compare> subscribers;  // of the filter that ends here
    std::string filter;                         // that filter, to hand to the callback

    bool unused() const noexcept {
      return literal.empty() && !plus && !hash && subscribers.empty();
    }
    const node* find_literal(std::string_view level) const {
      const auto it = literal.find(level);
      return it == literal.end() ? nullptr : it->second.get();
    }
    node* find(std::string_view level) const {
      if (level == "+") return plus.get();
      if (level == "#") return hash.get();
      const auto it = literal.find(level);
      return it == literal.end() ? nullptr : it->second.get();
    }
    node& child(std::string_view level) {
      std::unique_ptr<node>* slot = nullptr;
      if (level == "+") {
        slot = &plus;
      } else if (level == "#") {
        slot = &hash;
      } else {
        auto it = literal.find(level);
        if (it == literal.end()) it = literal.emplace(std::string(level), nullptr).first;
        slot = &it->second;
      }
      if (!*slot) *slot = std::make_unique<node>();
      return **slot;
    }
    void erase_child(std::string_view level) {
      if (level == "+") {
        plus.reset();
      } else if (level == "#") {
        hash.reset();
      } else if (const auto it = literal.find(level); it != literal.end()) {
        literal.erase(it);
      }
    }
  };

  // Calls f(level) for each '/'-separated level of s, empty levels included.
  template <class F>
  static void for_each_level(std::string_view s, F&& f) {
    std::size_t pos = 0;
    for (;;) {
      const std::size_t slash = s.find('/', pos);
      if (slash == std::string_view::npos) {
        f(s.substr(pos));
        return;
      }
      f(s.substr(pos, slash - pos));
      pos = slash + 1;
    }
  }

  template <class F>
  static void report(const node& n, F& f) {
    for (const Subscriber& s : n.subscribers) {
      if constexpr (std::is_invocable_v<F&, const Subscriber&, std::string_view>) {
        f(s, std::string_view(n.filter));
      } else {
        f(s);
      }
    }
  }

  // Frees the nodes a removal left empty, from the leaf up.
  static void prune(std::vector<std::pair<node*, std::string_view>>& path) {
    while (!path.empty()) {
      auto [parent, level] = path.back();
      path.pop_back();
      node* n = parent->find(level);
      if (n == nullptr || !n->unused()) return;
      parent->erase_child(level);
    }
  }

  // Explicit work list rather than recursion: a 65,535-byte topic filter can have 65,536 levels.
  static std::size_t remove_all_below(node& root, const Subscriber& s) {
    std::size_t removed = 0;
    std::vector<node*> work{&root};
    while (!work.empty()) {
      node* n = work.back();
      work.pop_back();
      removed += n->subscribers.erase(s);
      for (auto& [level, child] : n->literal) work.push_back(child.get());
      if (n->plus) work.push_back(n->plus.get());
      if (n->hash) work.push_back(n->hash.get());
    }
    prune_unused(root);
    return removed;
  }

  // Drops every empty subtree (after remove_all), children before parents, without recursion.
  static void prune_unused(node& root) {
    std::vector<std::pair<node*, bool>> work{{&root, false}};  // (node, children done)
    while (!work.empty()) {
      auto [n, expanded] = work.back();
      if (!expanded) {
        work.back().second = true;
        for (auto& [level, child] : n->literal) work.push_back({child.get(), false});
        if (n->plus) work.push_back({n->plus.get(), false});
        if (n->hash) work.push_back({n->hash.get(), false});
        continue;
      }
      work.pop_back();
      std::erase_if(n->literal, [](const auto& kv) { return !kv.second || kv.second->unused(); });
      if (n->plus && n->plus->unused()) n->plus.reset();
      if (n->hash && n->hash->unused()) n->hash.reset();
    }
  }

  // Frees the tree without recursion (a 65,536-level chain would overflow the stack in the
  // nodes' own destructors). If the work list cannot be allocated, the members' destructors
  // free the rest recursively.
  static void dismantle(node& root) noexcept {
    try {
      std::vector<std::unique_ptr<node>> work;
      const auto take_children = [&work](node& n) {
        for (auto& kv : n.literal) work.push_back(std::move(kv.second));
        n.literal.clear();
        if (n.plus) work.push_back(std::move(n.plus));
        if (n.hash) work.push_back(std::move(n.hash));
      };
      take_children(root);
      while (!work.empty()) {
        std::unique_ptr<node> n = std::move(work.back());
        work.pop_back();
        take_children(*n);
      }  // each node dies childless
    } catch (...) {
    }
  }

  node root_;
  std::size_t size_ = 0;
  bool dollar_rule_;
  options rules_;
};

}  // namespace mqttwire

#endif  // MQTTWIRE_SUBSCRIPTION_INDEX_HPP
