// SPDX-License-Identifier: MIT
// mqttwire-broker: the deadlines of every connection (CONNECT, keep-alive, the grace period of a
// close) on one Asio timer.
#ifndef MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP
#define MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP

#include <mqttwire/types.hpp>

#include <boost/asio.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace mqttwire_broker {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;  // mqttwire::time_point is its time_point
using mqttwire::time_point;

/// A min-heap of members by deadline, and one timer armed for the earliest. A broker holds
/// thousands of connections that are idle, each with a deadline that is seldom reached: a
/// steady_timer of its own would cost each of them the timer object (112 bytes with
/// any_io_executor) and a pending wait operation (about 100 more); here a member costs its
/// deadline, its place in the heap and a vtable pointer (24 bytes), and the heap's vector a
/// shared_ptr (16 more).
///
/// A queued member is kept alive by the queue until its deadline or cancel(), as a pending
/// timer wait kept it alive. One thread: the queue and its members are used from the thread
/// that runs the io_context.
class deadline_queue {
 public:
  /// What the queue calls back. A connection derives from it.
  class member {
   public:
    member() = default;
    member(const member&) = delete;
    member& operator=(const member&) = delete;

    /// The deadline has passed (`now` >= the time given to schedule()); the member is no
    /// longer queued, and schedules itself again if it still has a deadline.
    virtual void on_deadline(time_point now) = 0;
    /// Queued for `t` or earlier: schedule(t) would change nothing.
    bool queued_by(time_point t) const noexcept { return slot_ != unqueued && due_ <= t; }

   protected:
    ~member() = default;

   private:
    friend class deadline_queue;
    static constexpr std::size_t unqueued = std::numeric_limits<std::size_t>::max();
    time_point due_{};
    std::size_t slot_ = unqueued;  // index in heap_
  };

  explicit deadline_queue(net::io_context& io) : timer_(io) {}
  deadline_queue(const deadline_queue&) = delete;
  deadline_queue& operator=(const deadline_queue&) = delete;

  /// `m` is called back at `due` or soon after. A member already queued for an earlier time
  /// keeps that time: most deadlines move later (a keep-alive deadline moves with every byte
  /// received), and moving them in the heap each time would cost more than the one early call,
  /// after which the member schedules its real deadline.
  void schedule(std::shared_ptr<member> m, time_point due) {
    member& x = *m;
    if (x.queued_by(due)) return;
    if (x.slot_ != member::unqueued) {
      x.due_ = due;
      sift_up(x.slot_);
    } else {
      x.due_ = due;
      x.slot_ = heap_.size();
      heap_.push_back(std::move(m));
      sift_up(x.slot_);
    }
    arm();
  }
  /// `m` is no longer called back (nor kept alive by the queue).
  void cancel(member& m) noexcept {
    if (m.slot_ != member::unqueued) static_cast<void>(take(m.slot_));
  }

  /// Members queued.
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  // The timer is moved only when the earliest deadline moves earlier than the time it is set
  // for; when it fires with nothing due (the member was cancelled) it is set again.
  void arm() {
    if (heap_.empty()) return;
    const time_point next = heap_.front()->due_;
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
    while (!heap_.empty() && heap_.front()->due_ <= now) {
      const std::shared_ptr<member> m = take(0);  // alive while it runs
      m->on_deadline(now);
    }
    arm();
  }

  // Removes the member at heap_[i] and returns the heap's reference to it.
  std::shared_ptr<member> take(std::size_t i) noexcept {
    std::shared_ptr<member> m = std::move(heap_[i]);
    m->slot_ = member::unqueued;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = std::move(heap_[last]);
      heap_[i]->slot_ = i;
    }
    heap_.pop_back();
    if (i < heap_.size()) {  // the last member, moved into the hole, goes up or down
      if (i > 0 && heap_[i]->due_ < heap_[(i - 1) / 2]->due_) {
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
    heap_[a]->slot_ = a;
    heap_[b]->slot_ = b;
  }
  void sift_up(std::size_t i) noexcept {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (heap_[parent]->due_ <= heap_[i]->due_) return;
      swap_slots(parent, i);
      i = parent;
    }
  }
  void sift_down(std::size_t i) noexcept {
    for (;;) {
      const std::size_t left = 2 * i + 1, right = left + 1;
      std::size_t least = i;
      if (left < heap_.size() && heap_[left]->due_ < heap_[least]->due_) least = left;
      if (right < heap_.size() && heap_[right]->due_ < heap_[least]->due_) least = right;
      if (least == i) return;
      swap_slots(i, least);
      i = least;
    }
  }

  std::vector<std::shared_ptr<member>> heap_;  // heap_[0] has the earliest deadline
  net::basic_waitable_timer<clock, net::wait_traits<clock>, net::io_context::executor_type> timer_;
  bool armed_ = false;
  time_point armed_for_{};
  std::uint64_t generation_ = 0;  // of the wait in flight
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_DEADLINES_HPP
