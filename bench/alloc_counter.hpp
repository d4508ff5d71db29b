// SPDX-License-Identifier: MIT
// Counts heap allocations (global operator new is replaced in alloc_counter.cpp).
#ifndef MQTTWIRE_BENCH_ALLOC_COUNTER_HPP
#define MQTTWIRE_BENCH_ALLOC_COUNTER_HPP

#include <cstddef>

namespace mqttwire_bench {

/// Allocations made so far by this process through any form of operator new.
std::size_t allocation_count() noexcept;

/// Allocations made while running f().
template <class F>
std::size_t allocations_in(F&& f) {
  const std::size_t before = allocation_count();
  f();
  return allocation_count() - before;
}

}  // namespace mqttwire_bench

#endif  // MQTTWIRE_BENCH_ALLOC_COUNTER_HPP
