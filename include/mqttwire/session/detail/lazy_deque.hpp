// SPDX-License-Identifier: MIT
// mqttwire: a std::deque that allocates nothing until it first holds an element.
#ifndef MQTTWIRE_SESSION_DETAIL_LAZY_DEQUE_HPP
#define MQTTWIRE_SESSION_DETAIL_LAZY_DEQUE_HPP

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace mqttwire::detail {

// libstdc++'s std::deque allocates its map and a first 512-byte block when it is constructed,
// empty or not. A session keeps several queues (events, requests, held acks, messages) that
// stay empty on an idle connection, and a broker holds thousands of idle connections: this
// wrapper creates the deque on the first insertion instead, so an empty queue costs one
// pointer. Only the operations the sessions use are provided; iterators are the deque's.
template <class T>
class lazy_deque {
 public:
  using container = std::deque<T>;
  using iterator = typename container::iterator;
  using const_iterator = typename container::const_iterator;

  lazy_deque() noexcept = default;
  lazy_deque(lazy_deque&&) noexcept = default;
  lazy_deque& operator=(lazy_deque&&) noexcept = default;
  lazy_deque(const lazy_deque& other)
      : items_(other.items_ ? std::make_unique<container>(*other.items_) : nullptr) {}
  lazy_deque& operator=(const lazy_deque& other) {
    if (this != &other) lazy_deque(other).swap(*this);
    return *this;
  }
  ~lazy_deque() = default;
  void swap(lazy_deque& other) noexcept { items_.swap(other.items_); }

  bool empty() const noexcept { return !items_ || items_->empty(); }
  std::size_t size() const noexcept { return items_ ? items_->size() : 0; }

  // Preconditions as std::deque's: front() and pop_front() only when not empty, an index
  // below size().
  T& front() { return items_->front(); }
  const T& front() const { return items_->front(); }
  T& operator[](std::size_t i) { return (*items_)[i]; }
  const T& operator[](std::size_t i) const { return (*items_)[i]; }
  void pop_front() { items_->pop_front(); }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    return made().emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T value) { made().push_back(std::move(value)); }
  // Frees the deque while it is empty (clear() and pop_front() keep its blocks).
  void release_if_empty() noexcept {
    if (items_ && items_->empty()) items_.reset();
  }
  // Keeps the block allocated: a queue that was used once is likely used again.
  void clear() noexcept {
    if (items_) items_->clear();
  }
  iterator erase(const_iterator at) { return items_->erase(at); }
  iterator erase(const_iterator from, const_iterator to) {
    return items_ ? items_->erase(from, to) : begin();  // without items the range is empty
  }

  template <class Predicate>
  friend std::size_t erase_if(lazy_deque& q, Predicate p) {
    return q.items_ ? std::erase_if(*q.items_, p) : 0;
  }

  // An empty queue iterates over one shared empty deque, which is never changed.
  iterator begin() noexcept { return made_or_none().begin(); }
  iterator end() noexcept { return made_or_none().end(); }
  const_iterator begin() const noexcept { return cbegin(); }
  const_iterator end() const noexcept { return cend(); }
  const_iterator cbegin() const noexcept { return items_ ? items_->cbegin() : none().cbegin(); }
  const_iterator cend() const noexcept { return items_ ? items_->cend() : none().cend(); }

 private:
  container& made() {
    if (!items_) items_ = std::make_unique<container>();
    return *items_;
  }
  container& made_or_none() noexcept { return items_ ? *items_ : none(); }
  static container& none() noexcept {
    static container empty_queue;
    return empty_queue;
  }

  std::unique_ptr<container> items_;
};

}  // namespace mqttwire::detail

#endif  // MQTTWIRE_SESSION_DETAIL_LAZY_DEQUE_HPP
