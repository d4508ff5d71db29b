// SPDX-License-Identifier: MIT
// mqttwire: a client identifier that keeps a short id inside itself, for the thousands of
// sessions a broker holds.
#ifndef MQTTWIRE_SESSION_ID_STRING_HPP
#define MQTTWIRE_SESSION_ID_STRING_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace mqttwire {

/// An owned string for client identifiers: up to 23 bytes are held inside its 24 bytes, longer
/// ones on the heap. std::string holds only 15 inline in 32 bytes, so the usual 16- to 23-byte
/// ids (3.1.1 servers must accept 23) cost it a heap block as well; a broker with 10,000 idle
/// connections pays that per connection. Reads as a std::string_view.
class id_string {
 public:
  static constexpr std::size_t inline_capacity = 23;

  id_string() noexcept = default;
  id_string(std::string_view s) { assign(s); }  // NOLINT(implicit): as std::string from a view
  id_string(const id_string& other) { assign(other.view()); }
  id_string(id_string&& other) noexcept { take(other); }
  id_string& operator=(const id_string& other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  id_string& operator=(id_string&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  id_string& operator=(std::string_view s) {
    assign(s);
    return *this;
  }
  ~id_string() { release(); }

  std::string_view view() const noexcept {
    if (tag_ != on_heap) return {bytes_, tag_};
    return {heap_pointer(), heap_size()};
  }
  operator std::string_view() const noexcept { return view(); }  // NOLINT(implicit)
  std::size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return tag_ == 0; }
  /// True while the bytes are inside the object (no heap block).
  bool is_inline() const noexcept { return tag_ != on_heap; }

  friend bool operator==(const id_string& a, const id_string& b) noexcept {
    return a.view() == b.view();
  }
  friend bool operator==(const id_string& a, std::string_view b) noexcept { return a.view() == b; }

 private:
  static constexpr std::uint8_t on_heap = 0xFF;

  void assign(std::string_view s) {
    if (s.size() <= inline_capacity) {
      char copy[inline_capacity];  // s may be this string's own heap block, freed next
      if (!s.empty()) std::memcpy(copy, s.data(), s.size());
      release();
      std::memcpy(bytes_, copy, s.size());
      tag_ = static_cast<std::uint8_t>(s.size());
      return;
    }
    char* p = new char[s.size()];
    std::memcpy(p, s.data(), s.size());
    release();
    const std::size_t n = s.size();
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + sizeof p, &n, sizeof n);
    tag_ = on_heap;
  }
  // Takes other's bytes (or its heap block) and leaves it empty.
  void take(id_string& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    tag_ = other.tag_;
    other.tag_ = 0;
  }
  void release() noexcept {
    if (tag_ == on_heap) delete[] heap_pointer();
    tag_ = 0;
  }
  // A heap string keeps its pointer and size in bytes_ (copied in and out, so no union).
  char* heap_pointer() const noexcept {
    char* p = nullptr;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  std::size_t heap_size() const noexcept {
    std::size_t n = 0;
    std::memcpy(&n, bytes_ + sizeof(char*), sizeof n);
    return n;
  }

  char bytes_[inline_capacity] = {};
  std::uint8_t tag_ = 0;  // the size of an inline string (0..23), or on_heap
};

static_assert(sizeof(id_string) == 24);

}  // namespace mqttwire

#endif  // MQTTWIRE_SESSION_ID_STRING_HPP
