// SPDX-License-Identifier: MIT
// A measuring stick for the framer rows of bench/report, not a framer to use: the least that any
// framer of mqttwire::framer's shape can cost on a given stream. It is told every packet's size
// in advance and holds the whole stream in one buffer, so it never reads a header, never makes
// room, never moves a byte and checks nothing. All it does is what
// the shape itself asks of every framer: prepare() and commit() for each read, next() saying
// incomplete until the pending packet is all here, and decode of each whole packet in place.
// Whatever it costs beyond plain decode of the stream is the cost of the reads and the next()
// loop, which no framer on the same reads can avoid.
#ifndef MQTTWIRE_BENCH_FLOOR_FRAMER_HPP
#define MQTTWIRE_BENCH_FLOOR_FRAMER_HPP

#include <mqttwire/decode.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mqttwire_bench {

/// What floor_framer is told in advance: the packets' sizes in stream order, and a buffer for
/// the whole stream. Set-up, made once before the timed passes.
struct floor_plan {
  std::vector<std::size_t> sizes;
  std::vector<char> buffer;

  /// The plan of a stream of whole packets (empty if the stream does not decode).
  static floor_plan of(const std::vector<char>& stream) {
    floor_plan plan;
    mqttwire::packet p;
    for (std::size_t at = 0; at < stream.size();) {
      const mqttwire::decode_result d =
          mqttwire::decode_into(mqttwire::bytes_view(stream.data() + at, stream.size() - at), p);
      if (!d) return {};
      plan.sizes.push_back(d.size);
      at += d.size;
    }
    plan.buffer.resize(stream.size());
    return plan;
  }
};

class floor_framer {
 public:
  explicit floor_framer(floor_plan& plan)
      : buf_(plan.buffer.data()),
        sizes_(plan.sizes.data()),
        count_(plan.sizes.size()),
        want_end_(count_ != 0 ? sizes_[0] : SIZE_MAX) {}

  // Not even the test that the read fits, which every real framer makes: the buffer holds the
  // whole stream, and run_stream writes the stream once. Precondition: n <= capacity - end.
  [[gnu::always_inline]] std::span<char> prepare(std::size_t n) { return {buf_ + end_, n}; }

  [[gnu::always_inline]] void commit(std::size_t n) { end_ += n; }

  [[gnu::always_inline]] mqttwire::result<mqttwire::packet> next() {
    if (end_ < want_end_) return mqttwire::error{mqttwire::errc::incomplete, end_};
    return take();
  }

 private:
  // One object returned on every path, so that it is built in the caller's place.
  [[gnu::always_inline]] mqttwire::result<mqttwire::packet> take() {
    mqttwire::result<mqttwire::packet> r(std::in_place, std::in_place_type<mqttwire::puback>,
                                         mqttwire::puback{static_cast<std::uint16_t>(end_)});
    const mqttwire::decode_result d =
        mqttwire::decode_into(mqttwire::bytes_view(buf_ + begin_, want_end_ - begin_), *r);
    if (!d) {
      r = d.error();
      return r;
    }
    begin_ = want_end_;
    ++taken_;
    want_end_ = taken_ < count_ ? begin_ + sizes_[taken_] : SIZE_MAX;
    return r;
  }

  char* buf_;
  const std::size_t* sizes_;
  std::size_t count_;
  std::size_t want_end_;
  std::size_t taken_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace mqttwire_bench

#endif  // MQTTWIRE_BENCH_FLOOR_FRAMER_HPP
