// SPDX-License-Identifier: MIT
// mqttwire: a broker's subscription index, a trie over topic levels (allocates; not constexpr).
#ifndef MQTTWIRE_SUBSCRIPTION_INDEX_HPP
#define MQTTWIRE_SUBSCRIPTION_INDEX_HPP

#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mqttwire {

/// The default merge of subscription_index::match_subscribers(): the greater of two values by
/// operator<. For qos_level that is the higher QoS, which is what a broker delivers at when
/// several subscriptions of one client match a message [MQTT-3.3.5-1].
struct max_merge {
  template <class V>
  constexpr const V& operator()(const V& a, const V& b) const noexcept(noexcept(a < b)) {
    return a < b ? b : a;
  }
};

/// The subscriptions of a broker, (topic filter, subscriber) pairs that each carry one `Value`
/// (by default the granted QoS), indexed so that a published topic finds the subscribers whose
/// filters match it without testing every filter: a trie with one node per filter level, where
/// '+' and '#' are children of their own. A lookup visits at most two children per topic level
/// (the literal level and '+') plus the '#' leaves on the way, so its cost depends on the topic
/// and the matches, not on the number of filters.
///
/// Matching follows topic_matches() exactly (spec reference §4.3), including the '$' rule
/// [MQTT-4.7.2-1] unless turned off. `Subscriber` is any copyable id ordered by `Compare` (a
/// client id, a session pointer, an index...); `Value` is any copyable type, usually small;
/// `Merge` combines the values of one subscriber's matching subscriptions in
/// match_subscribers(): `Merge{}(a, b)` returns the merged value (default: the greater by
/// operator<). Each pair costs one std::map entry (subscriber and value) in the node of its
/// filter. It allocates (std::map, std::string, and a work list in a lookup only when the topic
/// has more than 32 levels or more than 16 filters match it), so it is not constexpr and may
/// throw std::bad_alloc; it is not synchronised: guard it if several threads use it.
template <class Subscriber = std::uint64_t, class Value = qos_level,
          class Compare = std::less<Subscriber>, class Merge = max_merge>
class subscription_index {
 public:
  using subscriber_type = Subscriber;
  using value_type = Value;

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

  /// Adds the pair with `value`, or, if the pair is there already, replaces its value: a
  /// SUBSCRIBE that repeats a filter replaces the subscription [MQTT-3.8.4-3]. Returns true if
  /// the pair is new, false if it was there (size() is then unchanged). An invalid filter is
  /// refused with validate_topic_filter()'s error and offset, and nothing changes.
  result<bool> add(std::string_view filter, const Subscriber& s, Value value = Value{}) {
    if (const error e = validate_topic_filter(filter, rules_); e.code != errc::success) return e;
    node* n = &root_;
    for_each_level(filter, [&](std::string_view level) { n = &n->child(level); });
    if (n->subscribers.empty()) n->filter = std::string(filter);
    const bool added = n->subscribers.insert_or_assign(s, std::move(value)).second;
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

  /// True when the pair is in the index (filters compared literally).
  bool contains(std::string_view filter, const Subscriber& s) const {
    return find(filter, s) != nullptr;
  }

  /// The value of the pair, or nullptr if the pair is not in the index (filters compared
  /// literally). The pointer is valid until the pair is removed or replaced, or the index is
  /// cleared or assigned to; the non-const overload lets the caller change the value in place.
  const Value* find(std::string_view filter, const Subscriber& s) const {
    const node* n = find_node(filter);
    if (n == nullptr) return nullptr;
    const auto it = n->subscribers.find(s);
    return it == n->subscribers.end() ? nullptr : &it->second;
  }
  Value* find(std::string_view filter, const Subscriber& s) {
    return const_cast<Value*>(std::as_const(*this).find(filter, s));
  }

  /// Calls `f(subscriber)`, `f(subscriber, filter)` or `f(subscriber, filter, value)` (the first
  /// of those, from the longest, that `f` accepts) once for every pair whose filter matches the
  /// topic name `topic`, in no set order. A subscriber with several matching filters is reported
  /// once per filter; match_subscribers() reports it once. Returns the number of trie nodes
  /// visited, a measure of the work done. The index must not be changed from inside `f`.
  /// Precondition: `topic` is a valid topic name (decode has checked it).
  template <class F>
  std::size_t match(std::string_view topic, F&& f) const {
    return walk(topic, [&f](const node& n) {
      for (const auto& [s, value] : n.subscribers) {
        if constexpr (std::is_invocable_v<F&, const Subscriber&, std::string_view, const Value&>) {
          f(s, std::string_view(n.filter), value);
        } else if constexpr (std::is_invocable_v<F&, const Subscriber&, std::string_view>) {
          f(s, std::string_view(n.filter));
        } else {
          static_assert(std::is_invocable_v<F&, const Subscriber&>,
                        "match() calls f(subscriber), f(subscriber, filter) or "
                        "f(subscriber, filter, value)");
          f(s);
        }
      }
    });
  }

  /// A broker's delivery decision for one PUBLISH: calls `f(subscriber, value)` (or
  /// `f(subscriber)`) exactly once for every subscriber with at least one filter that matches
  /// the topic name `topic`, where `value` is the merge of the values of all its matching pairs:
  /// with the default `Merge` and `Value`, the highest granted QoS, at which the message is
  /// delivered [MQTT-3.3.5-1] (capped by the PUBLISH's own QoS [MQTT-3.8.4-6], the caller's
  /// part). `merge(a, b)` must return a Value (or something convertible) and be associative and
  /// commutative, as max is, since the order in which values meet is not specified. Subscribers
  /// come in ascending `Compare` order. Returns the number of trie nodes visited, as match()
  /// does; the index must not be changed from inside `f`. Precondition: `topic` is a valid topic
  /// name.
  ///
  /// Cost: the matching nodes' subscriber maps are merged as k sorted lists (k = the number of
  /// matching filters with subscribers) with a binary heap, O(m log k) comparisons for m
  /// matching pairs, and no copy of a subscriber. Nothing is allocated unless the topic has more
  /// than 32 levels or more than 16 filters match, when a std::vector takes the work list.
  template <class F, class M = Merge>
  std::size_t match_subscribers(std::string_view topic, F&& f, M merge = M{}) const {
    small_stack<head, 16> heads;
    const std::size_t visited = walk(topic, [&heads](const node& n) {
      if (!n.subscribers.empty()) heads.push_back({n.subscribers.begin(), n.subscribers.end()});
    });
    if (heads.size() == 1) {  // one filter: its subscribers are distinct already
      for (auto it = heads.data()->at; it != heads.data()->end; ++it) {
        deliver(f, it->first, it->second);
      }
      return visited;
    }
    // A min-heap of the heads of the k sorted maps, by their current subscriber.
    const Compare before = root_.subscribers.key_comp();
    const auto later = [&before](const head& a, const head& b) {
      return before(b.at->first, a.at->first);
    };
    std::make_heap(heads.data(), heads.data() + heads.size(), later);
    // Takes the smallest head out of the heap, moves it on, and puts it back unless it ended.
    const auto pop_smallest = [&heads, &later]() {
      std::pop_heap(heads.data(), heads.data() + heads.size(), later);
      head& h = heads.back();
      const auto entry = h.at++;
      if (h.at == h.end) {
        heads.pop_back();
      } else {
        std::push_heap(heads.data(), heads.data() + heads.size(), later);
      }
      return entry;
    };
    while (!heads.empty()) {
      const auto first = pop_smallest();
      const Subscriber& s = first->first;
      if (heads.empty() || before(s, heads.data()->at->first)) {  // no other filter of s matches
        deliver(f, s, first->second);
        continue;
      }
      Value merged = first->second;
      while (!heads.empty() && !before(s, heads.data()->at->first)) {
        merged = static_cast<Value>(merge(std::as_const(merged), pop_smallest()->second));
      }
      deliver(f, s, std::as_const(merged));
    }
    return visited;
  }

  /// The subscribers whose filters match `topic`, once per matching pair, in no set order.
  std::vector<Subscriber> matches(std::string_view topic) const {
    std::vector<Subscriber> out;
    match(topic, [&](const Subscriber& s) { out.push_back(s); });
    return out;
  }

  /// Calls `f(filter, subscriber, value)` once for every pair, in no set order: what a broker
  /// saves of its sessions' subscriptions (select one subscriber's pairs inside `f`). Walks the
  /// whole trie with a work list (allocates). The index must not be changed from inside `f`.
  template <class F>
  void for_each(F&& f) const {
    std::vector<const node*> work{&root_};
    while (!work.empty()) {
      const node* n = work.back();
      work.pop_back();
      for (const auto& [s, value] : n->subscribers) f(std::string_view(n->filter), s, value);
      for (const auto& [level, child] : n->literal) work.push_back(child.get());
      if (n->plus) work.push_back(n->plus.get());
      if (n->hash) work.push_back(n->hash.get());
    }
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
    std::map<Subscriber, Value, Compare> subscribers;  // of the filter that ends here
    std::string filter;                                // that filter, to hand to the callback

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
  using entry_iterator = typename std::map<Subscriber, Value, Compare>::const_iterator;
  struct head {  // the unmerged rest of one matching node's subscribers
    entry_iterator at;
    entry_iterator end;
  };

  // A LIFO that keeps its first N elements in the object and moves them to a std::vector only
  // when more come, so that an ordinary lookup allocates nothing. Only [0, count_) of local_
  // is ever read.
  template <class T, std::size_t N>
  class small_stack {
   public:
    bool empty() const noexcept { return size() == 0; }
    std::size_t size() const noexcept { return spilled_ ? spill_.size() : count_; }
    T* data() noexcept { return spilled_ ? spill_.data() : local_; }
    T& back() noexcept { return data()[size() - 1]; }
    void pop_back() noexcept {
      if (spilled_) {
        spill_.pop_back();
      } else {
        --count_;
      }
    }
    void push_back(const T& v) {
      if (!spilled_ && count_ < N) {
        local_[count_++] = v;
        return;
      }
      if (!spilled_) {
        spill_.reserve(2 * N);
        spill_.assign(local_, local_ + count_);
        spilled_ = true;
      }
      spill_.push_back(v);
    }

   private:
    T local_[N];
    std::size_t count_ = 0;
    bool spilled_ = false;
    std::vector<T> spill_;
  };

  // Calls on_node(n) for every node whose filter matches the topic name `topic` (each at most
  // once); returns the number of nodes visited.
  template <class OnNode>
  std::size_t walk(std::string_view topic, OnNode&& on_node) const {
    struct step {
      const node* at;
      std::size_t pos;  // start of the topic level to match below `at`
      bool done;        // the topic has no level left
    };
    // Depth first, at most one pending sibling per level: 32 steps hold topics of 31 levels.
    small_stack<step, 32> work;
    work.push_back({&root_, 0, false});
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
        on_node(*s.at->hash);
      }
      if (s.done) {
        on_node(*s.at);
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

  template <class F>
  static void deliver(F& f, const Subscriber& s, const Value& value) {
    if constexpr (std::is_invocable_v<F&, const Subscriber&, const Value&>) {
      f(s, value);
    } else {
      static_assert(std::is_invocable_v<F&, const Subscriber&>,
                    "match_subscribers() calls f(subscriber, value) or f(subscriber)");
      f(s);
    }
  }

  // The node of `filter` (compared literally), or nullptr.
  const node* find_node(std::string_view filter) const {
    const node* n = &root_;
    for_each_level(filter, [&](std::string_view level) {
      if (n != nullptr) n = n->find(level);
    });
    return n;
  }

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
