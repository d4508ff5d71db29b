// SPDX-License-Identifier: MIT
// A measuring stick for the framer rows of bench/report, not a framer to use: the least a framer
// of mqttwire::framer's shape does (reads into one contiguous buffer with prepare() and commit(),
// whole packets decoded in place and handed out by next()) and nothing more. It has no size
// limit and checks no header before its packet is whole (it reads the size of a usual one, to
// make room for the packet at once; a garbage or oversized packet is only found once it is all
// buffered, and the buffer grows for it), keeps no stats, offsets or sticky error, and knows no
// CONNECT order. What mqttwire::framer costs beyond it is the cost of those checks;
// what it costs beyond plain decode is the cost of the shape itself.
#ifndef MQTTWIRE_BENCH_BARE_FRAMER_HPP
#define MQTTWIRE_BENCH_BARE_FRAMER_HPP

#include <mqttwire/decode.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace mqttwire_bench {

class bare_framer {
 public:
  [[gnu::always_inline]] std::span<char> prepare(std::size_t n) {
    if (capacity_ - end_ >= n) return {buf_.get() + end_, n};
    return make_room(n);
  }

  [[gnu::always_inline]] void commit(std::size_t n) { end_ += n; }

  [[gnu::always_inline]] mqttwire::result<mqttwire::packet> next() {
    // Waiting for the rest of a packet found incomplete: one compare, as in mqttwire::framer.
    if (end_ < want_end_) return mqttwire::error{mqttwire::errc::incomplete, end_};
    return take();
  }

 private:
  // One object returned on every path, so that it is built in the caller's place.
  [[gnu::always_inline]] mqttwire::result<mqttwire::packet> take() {
    mqttwire::result<mqttwire::packet> r(std::in_place, std::in_place_type<mqttwire::puback>,
                                         mqttwire::puback{static_cast<std::uint16_t>(end_)});
    const mqttwire::decode_result d = mqttwire::decode_into(
        mqttwire::bytes_view(buf_.get() + begin_, end_ - begin_), *r);
    if (!d) {
      r = not_whole(d);
      return r;
    }
    begin_ += d.size;
    if (begin_ == end_) begin_ = end_ = 0;  // the next read goes to the front: nothing to move
    want_end_ = begin_ + 1;
    return r;
  }

  // An incomplete packet: wait for all of it when its header says how large it is (so that
  // prepare() can make room for it at once), else for one byte more.
  [[gnu::noinline]] mqttwire::error not_whole(mqttwire::decode_result d) {
    if (d.ec == mqttwire::errc::incomplete) {
      const std::size_t size =
          mqttwire::detail::usual_packet_size(buf_.get() + begin_, end_ - begin_, {});
      want_end_ = size != 0 ? begin_ + size : end_ + 1;
    }
    return mqttwire::error{d.ec, end_};
  }

  // mqttwire::framer's policy: room for the whole pending packet and the read; the bytes held
  // move to the front in a buffer of at least twice that, else the buffer doubles.
  [[gnu::noinline]] std::span<char> make_room(std::size_t n) {
    const std::size_t held = end_ - begin_;
    const std::size_t need = std::max(held, want_end_ - std::min(want_end_, begin_)) + n;
    if (capacity_ >= 2 * need) {
      if (held != 0) std::memmove(buf_.get(), buf_.get() + begin_, held);
    } else {
      const std::size_t grown = std::max<std::size_t>(2 * need, 256);
      std::unique_ptr<char[]> bigger(new char[grown]);  // not zeroed: written before it is read
      if (held != 0) std::memcpy(bigger.get(), buf_.get() + begin_, held);
      buf_.swap(bigger);
      capacity_ = grown;
    }
    want_end_ -= std::min(want_end_, begin_);
    begin_ = 0;
    end_ = held;
    return {buf_.get() + end_, n};
  }

  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t want_end_ = 1;
};

}  // namespace mqttwire_bench

#endif  // MQTTWIRE_BENCH_BARE_FRAMER_HPP
