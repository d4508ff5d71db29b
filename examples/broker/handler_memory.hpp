// SPDX-License-Identifier: MIT
// mqttwire-broker: room inside an object for the one Asio operation it keeps pending, so that
// operation needs no heap block of its own.
#ifndef MQTTWIRE_EXAMPLES_BROKER_HANDLER_MEMORY_HPP
#define MQTTWIRE_EXAMPLES_BROKER_HANDLER_MEMORY_HPP

#include <cstddef>
#include <new>

namespace mqttwire_broker {

/// Storage for one operation at a time (Asio's custom allocation, as in its "allocation"
/// example). An idle connection has exactly one operation in flight, its wait for readability
/// (72 bytes with Asio 1.74 and a one-pointer handler): from malloc it costs a 96-byte block
/// (Asio's recycling allocator adds a byte, malloc its header and rounding), here its 72 bytes
/// inside the connection. A request that does not fit, or comes while the room is taken, goes
/// to the heap.
template <std::size_t Size>
class handler_memory {
 public:
  handler_memory() = default;
  handler_memory(const handler_memory&) = delete;
  handler_memory& operator=(const handler_memory&) = delete;

  void* allocate(std::size_t n, std::size_t align) {
    if (!used_ && n <= Size && align <= alignof(void*)) {
      used_ = true;
      return storage_;
    }
    return ::operator new(n);
  }
  void deallocate(void* p) noexcept {
    if (p == storage_) {
      used_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  // Pointer-aligned, as Asio's operations are (the few that need more go to the heap): a
  // stricter alignment would pad the object that holds this.
  alignas(void*) unsigned char storage_[Size];
  bool used_ = false;
};

/// The allocator a handler returns from get_allocator() to use a handler_memory.
template <class T, std::size_t Size>
class handler_allocator {
 public:
  using value_type = T;
  template <class U>
  struct rebind {  // spelt out: allocator_traits cannot rebind a non-type parameter
    using other = handler_allocator<U, Size>;
  };
  explicit handler_allocator(handler_memory<Size>& m) noexcept : memory_(&m) {}
  template <class U>
  handler_allocator(const handler_allocator<U, Size>& other) noexcept : memory_(other.memory_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n, alignof(T))); }
  void deallocate(T* p, std::size_t) noexcept { memory_->deallocate(p); }

  template <class U>
  bool operator==(const handler_allocator<U, Size>& other) const noexcept {
    return memory_ == other.memory_;
  }

 private:
  template <class, std::size_t>
  friend class handler_allocator;
  handler_memory<Size>* memory_;
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_HANDLER_MEMORY_HPP
