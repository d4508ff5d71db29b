// SPDX-License-Identifier: MIT
// mqttwire CLI: unbuffered reads, buffered writes and hex text decoding on file descriptors.
#ifndef MQTTWIRE_CLI_IO_HPP
#define MQTTWIRE_CLI_IO_HPP

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace mqttwire_cli {

/// Reads what is available (at most out.size() bytes), blocking only until something is.
/// read(2) rather than stdio, so that a packet arriving on a pipe is printed at once instead
/// of when a stdio buffer fills. Returns 0 at end of input, -1 on error (errno set).
inline long read_some(int fd, std::span<char> out) noexcept {
  for (;;) {
    const ssize_t n = ::read(fd, out.data(), out.size());
    if (n >= 0 || errno != EINTR) return static_cast<long>(n);
  }
}

/// Collects output and writes it in large blocks; flush() at points where a reader of the
/// stream should see what was produced so far (after each chunk of input).
class output {
 public:
  explicit output(int fd) noexcept : fd_(fd) {}
  output(const output&) = delete;
  output& operator=(const output&) = delete;
  ~output() { flush(); }

  std::string& buffer() noexcept { return buf_; }
  /// Flushes when enough is collected; keeps memory constant however much is written.
  bool maybe_flush() { return buf_.size() < (64u << 10) || flush(); }
  bool flush() {
    std::size_t done = 0;
    while (done < buf_.size()) {
      const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        buf_.clear();
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    buf_.clear();
    return true;
  }
  bool failed() const noexcept { return failed_; }

 private:
  int fd_;
  std::string buf_;
  bool failed_ = false;
};

/// Turns hex text into bytes across chunk boundaries; white space between digits is ignored,
/// also inside a byte's two digits, so "0 1" is one byte as "01" is.
class hex_decoder {
 public:
  /// Decodes `text` into `out` (which needs text.size() / 2 + 1 bytes). Returns the bytes
  /// written; on a character that is neither a hex digit nor white space, stops there and
  /// sets bad() (bytes decoded before it are still returned).
  std::size_t decode(std::string_view text, char* out) noexcept {
    std::size_t n = 0;
    for (const char c : text) {
      ++consumed_;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
      const int d = digit(c);
      if (d < 0) {
        bad_ = c;
        bad_at_ = consumed_ - 1;
        return n;
      }
      if (high_ < 0) {
        high_ = d;
      } else {
        out[n++] = static_cast<char>(high_ << 4 | d);
        high_ = -1;
      }
    }
    return n;
  }
  bool bad() const noexcept { return bad_at_ != npos; }
  char bad_char() const noexcept { return bad_; }
  std::uint64_t bad_offset() const noexcept { return bad_at_; }
  /// True when the text so far ended after the first digit of a byte.
  bool half_byte() const noexcept { return high_ >= 0; }

 private:
  static constexpr std::uint64_t npos = ~std::uint64_t{0};
  static int digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  int high_ = -1;
  std::uint64_t consumed_ = 0;
  std::uint64_t bad_at_ = npos;
  char bad_ = 0;
};

}  // namespace mqttwire_cli

#endif  // MQTTWIRE_CLI_IO_HPP
