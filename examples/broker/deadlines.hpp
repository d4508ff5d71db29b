// SPDX-License-Identifier: MIT
// mqttwire-broker: the deadlines of every connection (CONNECT, keep-alive, the grace period of a
// close) on one Asio timer.
#ifndef MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP
#define MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP

#include <mqttwire/types.hpp>

#include <boost/asio.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace mqttwire_broker {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;  // mqttwire::time_point is its time_point
using mqttwire::time_point;

/// Where a member of a basic_deadline_queue stands in it: its deadline and its place in the heap
/// (16 bytes in the member). A member derives from it.
class deadline_member {
 public:
  deadline_member() = default;
  deadline_member(const deadline_member&) = delete;
  deadline_member& operator=(const deadline_member&) = delete;

  /// Queued for `t` or earlier: schedule(t) would change nothing.
  bool queued_by(time_point t) const noexcept { return slot_ != unqueued && due_ <= t; }

 protected:
  ~deadline_member() = default;

 private:
  template <class>
  friend class basic_deadline_queue;
  static constexpr std::uint32_t unqueued = std::numeric_limits<std::uint32_t>::max();
  time_point due_{};
  std::uint32_t slot_ = unqueued;  // index in the heap (fewer than 2^32 - 1 members)
};

/// A min-heap of members by deadline, and one timer armed for the earliest. A broker holds
/// thousands of connections that are idle, each with a deadline that is seldom reached: a
/// steady_timer of its own would cost each of them the timer object (112 bytes with
/// any_io_executor) and a pending wait operation (about 100 more); here a member costs its
/// deadline and its place in the heap (16 bytes), and the heap's vector a pointer (8 more).
///
/// `Member` derives from deadline_member, has `void on_deadline(time_point now)` (the deadline
/// has passed, `now` >= the time given to schedule(); the member is no longer queued, and
/// schedules itself again if it still has a deadline), and is counted by boost::intrusive_ptr
/// (intrusive_ptr_add_ref, intrusive_ptr_release): a queued member is kept alive by the queue
/// until its deadline or cancel(), as a pending timer wait kept it alive. Not a virtual base:
/// the member's own vtable (a connection's is its peer's) is the only one it pays for. One
/// thread: the queue and its members are used from the thread that runs the io_context.
template <class Member>
class basic_deadline_queue {
 public:
  using pointer = boost::intrusive_ptr<Member>;

  explicit basic_deadline_queue(net::io_context& io) : timer_(io) {}
  basic_deadline_queue(const basic_deadline_queue&) = delete;
  basic_deadline_queue& operator=(const basic_deadline_queue&) = delete;

  /// `m` is called back at `due` or soon after. A member already queued for an earlier time
  /// keeps that time: most deadlines move later (a keep-alive deadline moves with every byte
  /// received), and moving them in the heap each time would cost more than the one early call,
  /// after which the member schedules its real deadline.
  void schedule(pointer m, time_point due) {
    deadline_member& x = *m;
    if (x.queued_by(due)) return;
    if (x.slot_ != deadline_member::unqueued) {
      x.due_ = due;
      sift_up(x.slot_);
    } else {
      x.due_ = due;
      x.slot_ = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(std::move(m));
      sift_up(x.slot_);
    }
    arm();
  }
  /// `m` is no longer called back (nor kept alive by the queue).
  void cancel(deadline_member& m) noexcept {
    if (m.slot_ != deadline_member::unqueued) static_cast<void>(take(m.slot_));
  }

  /// Members queued.
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  // The timer is moved only when the earliest deadline moves earlier than the time it is set
  // for; when it fires with nothing due (the member was cancelled) it is set again.
  void arm() {
    if (heap_.empty()) return;
    const time_point next = due_at(0);
    if (armed_ && armed_for_ <= next) return;
    armed_ = true;
    armed_for_ = next;
    timer_.expires_at(next);  // cancels the wait in flight: its handler sees operation_aborted
    timer_.async_wait([this, generation = ++generation_](const boost::system::error_code& ec) {
      // A handler already queued when the timer was set again completes without an error:
      // the generation tells it apart.
      if (ec || generation != generation_) return;
      armed_ = false;
      run_due();
    });
  }
  void run_due() {
    const time_point now = clock::now();
    while (!heap_.empty() && due_at(0) <= now) {
      const pointer m = take(0);  // alive while it runs
      m->on_deadline(now);
    }
    arm();
  }

  // Removes the member at heap_[i] and returns the heap's reference to it.
  pointer take(std::size_t i) noexcept {
    pointer m = std::move(heap_[i]);
    slot(*m) = deadline_member::unqueued;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = std::move(heap_[last]);
      slot(*heap_[i]) = static_cast<std::uint32_t>(i);
    }
    heap_.pop_back();
    if (i < heap_.size()) {  // the last member, moved into the hole, goes up or down
      if (i > 0 && due_at(i) < due_at((i - 1) / 2)) {
        sift_up(i);
      } else {
        sift_down(i);
      }
    }
    // A burst of connections waiting for their CONNECT grows the heap to the burst's size; once
    // three quarters of it have gone, its storage goes down with it (amortised: a shrink to n
    // follows at least 3n removals).
    if (heap_.capacity() > 64 && heap_.size() < heap_.capacity() / 4) heap_.shrink_to_fit();
    return m;
  }
  void swap_slots(std::size_t a, std::size_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    slot(*heap_[a]) = static_cast<std::uint32_t>(a);
    slot(*heap_[b]) = static_cast<std::uint32_t>(b);
  }
  void sift_up(std::size_t i) noexcept {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (due_at(parent) <= due_at(i)) return;
      swap_slots(parent, i);
      i = parent;
    }
  }
  void sift_down(std::size_t i) noexcept {
    for (;;) {
      const std::size_t left = 2 * i + 1, right = left + 1;
      std::size_t least = i;
      if (left < heap_.size() && due_at(left) < due_at(least)) least = left;
      if (right < heap_.size() && due_at(right) < due_at(least)) least = right;
      if (least == i) return;
      swap_slots(i, least);
      i = least;
    }
  }

  time_point due_at(std::size_t i) const noexcept {
    return static_cast<const deadline_member&>(*heap_[i]).due_;
  }
  static std::uint32_t& slot(deadline_member& m) noexcept { return m.slot_; }

  std::vector<pointer> heap_;  // heap_[0] has the earliest deadline
  net::basic_waitable_timer<clock, net::wait_traits<clock>, net::io_context::executor_type> timer_;
  bool armed_ = false;
  time_point armed_for_{};
  std::uint64_t generation_ = 0;  // of the wait in flight
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP
