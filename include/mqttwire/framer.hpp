// SPDX-License-Identifier: MIT
// mqttwire: an incremental framer that turns bytes arriving in chunks of any size into packets.
#ifndef MQTTWIRE_FRAMER_HPP
#define MQTTWIRE_FRAMER_HPP

#include "mqttwire/decode.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace mqttwire {

/// How a framer treats the stream.
struct framer_options {
  /// Largest whole packet (fixed header + body) accepted. A Remaining Length that makes a packet
  /// larger gives errc::packet_too_large as soon as the fixed header is readable, before any of
  /// the body is buffered (spec reference §2.5, "Implementation limits").
  std::size_t max_packet_size = mqttwire::max_packet_size;
  /// For inspectors and gateways: report packet_too_large once for an oversized packet, discard
  /// its body as it arrives (it is never buffered), then go on with the next packet. Otherwise
  /// packet_too_large is sticky like every other error.
  bool skip_oversized = false;
  /// Decoding rules passed to peek_header() and decode().
  options rules = {};
  /// For servers: the first packet of the stream must be CONNECT (otherwise
  /// errc::first_packet_not_connect at its first byte, [MQTT-3.1.0-1]) and a second CONNECT is
  /// errc::second_connect at its first byte ([MQTT-3.1.0-2]). Once the CONNECT is decoded, the
  /// framer takes its protocol version for the packets after it, so the version given to the
  /// constructor does not matter.
  bool require_connect_first = false;
  friend constexpr bool operator==(const framer_options&, const framer_options&) = default;
};

/// Work a framer has done, so that tests and benchmarks can show it is linear in the input.
struct framer_stats {
  std::uint64_t header_bytes = 0;   ///< bytes looked at by fixed-header parsing (at most 5 a try)
  std::uint64_t decode_calls = 0;   ///< calls of decode(): one per complete packet
  std::uint64_t decoded_bytes = 0;  ///< bytes handed to decode()
  std::uint64_t copied_bytes = 0;   ///< bytes copied in by feed()
  std::uint64_t moved_bytes = 0;    ///< bytes moved by compaction, growth and skipping in commit()
  std::uint64_t discarded_bytes = 0;  ///< bytes of oversized packets dropped (skip_oversized)
  friend constexpr bool operator==(const framer_stats&, const framer_stats&) = default;
};

/// Where an idle framer is in its stream: what a framer that is dropped while its connection
/// waits (to free its memory) needs to be rebuilt later as if it had been kept. See
/// basic_framer::position() and basic_framer::resume().
struct framer_position {
  std::uint64_t offset = 0;  ///< stream offset of the next byte (stream_offset(), received())
  protocol_version version = protocol_version::v3_1_1;  ///< the rules for the next packets
  bool connect_seen = false;  ///< a CONNECT was returned (framer_options::require_connect_first)
  friend constexpr bool operator==(const framer_position&, const framer_position&) = default;
};

namespace detail {

// std::allocator, but the fill constructor of a vector of char leaves the bytes as they are at
// run time: `framer` grows its buffer for bytes that are about to be written, and zeroing 1 MiB
// first would cost as much as receiving it. In constant evaluation they are set as usual.
template <class T>
struct growth_allocator {
  using value_type = T;
  constexpr growth_allocator() noexcept = default;
  template <class U>
  constexpr explicit growth_allocator(const growth_allocator<U>&) noexcept {}
  constexpr T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  constexpr void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  constexpr void construct(T* p, const T& value) noexcept {
    if (std::is_constant_evaluated()) {
      std::construct_at(p, value);
    } else {
      ::new (static_cast<void*>(p)) T;  // default-initialised: no store for char
    }
  }
  friend constexpr bool operator==(const growth_allocator&, const growth_allocator&) noexcept {
    return true;
  }
};

// A growable heap buffer: the storage of `framer`.
class vector_storage {
 public:
  static constexpr bool growable = true;
  constexpr char* data() noexcept { return buf_.data(); }
  constexpr const char* data() const noexcept { return buf_.data(); }
  constexpr std::size_t capacity() const noexcept { return capacity_; }
  // Replaces the buffer with one of `new_capacity` bytes that starts with [from, to).
  constexpr void regrow(std::size_t new_capacity, std::size_t from, std::size_t to) {
    // The fill constructor, not vector(n): clang 14 rejects libstdc++'s vector(n) for char in
    // constant expressions. At run time the new bytes are left unset (they are written by the
    // caller before they are read), so a large buffer is not zeroed first.
    std::vector<char, growth_allocator<char>> next(new_capacity, char{});
    std::copy(buf_.data() + from, buf_.data() + to, next.data());
    buf_.swap(next);
    capacity_ = new_capacity;
  }
  // Frees the buffer; returns the bytes freed.
  constexpr std::size_t release() noexcept {
    const std::size_t freed = buf_.size();
    std::vector<char, growth_allocator<char>>().swap(buf_);
    capacity_ = 0;
    return freed;
  }

 private:
  std::vector<char, growth_allocator<char>> buf_;
  // buf_.size(), kept apart: prepare() reads it on every read, and one load is cheaper than the
  // vector's two pointers and a subtraction.
  std::size_t capacity_ = 0;
};

// N bytes inside the framer object: the storage of `static_framer<N>`.
template <std::size_t N>
class array_storage {
 public:
  static constexpr bool growable = false;
  constexpr char* data() noexcept { return buf_.data(); }
  constexpr const char* data() const noexcept { return buf_.data(); }
  constexpr std::size_t capacity() const noexcept { return N; }
  constexpr void regrow(std::size_t, std::size_t, std::size_t) noexcept {}
  constexpr std::size_t release() noexcept { return 0; }

 private:
  std::array<char, N> buf_{};
};

// A buffer the caller owns and keeps alive: the storage of `span_framer`.
class span_storage {
 public:
  static constexpr bool growable = false;
  constexpr span_storage() noexcept = default;
  constexpr explicit span_storage(std::span<char> buffer) noexcept : buf_(buffer) {}
  constexpr char* data() noexcept { return buf_.data(); }
  constexpr const char* data() const noexcept { return buf_.data(); }
  constexpr std::size_t capacity() const noexcept { return buf_.size(); }
  constexpr void regrow(std::size_t, std::size_t, std::size_t) noexcept {}
  constexpr std::size_t release() noexcept { return 0; }

 private:
  std::span<char> buf_{};
};

}  // namespace detail

/// The framer logic over a storage policy; use `framer`, `static_framer<N>` or `span_framer`.
///
/// Use: hand it bytes, either `recv()` straight into `prepare(n)` and `commit(received)`, or
/// `feed(chunk)`; then call `next()` until it returns errc::incomplete. Each byte is parsed once:
/// the fixed header of a packet that is still incomplete is read as soon as it is (2..5 bytes),
/// so garbage and oversized packets are refused before their body; decode() runs once, when the
/// whole packet is buffered (and checks the header of a packet that arrived whole). So the cost
/// is linear in the input and a caller that drains `next()` after each read holds at most one
/// packet plus one read chunk.
///
/// Lifetime: strings, payloads and lists of a packet returned by `next()` are views into the
/// framer's buffer. They stay valid until the caller next hands the framer bytes (`prepare()`,
/// `feed()`), or the framer is destroyed; `next()` never moves buffered bytes.
///
/// Errors: errc::incomplete means "need more bytes" and is not an error (its offset is the stream
/// offset where more bytes are needed). Every other error is sticky, since MQTT cannot
/// resynchronise inside a stream, and its offset is the stream offset of the first byte of the
/// bad packet; `fault_offset()` gives the stream offset of the faulty byte itself. The one
/// non-sticky error is packet_too_large with framer_options::skip_oversized.
template <class Storage>
class basic_framer {
 public:
  constexpr basic_framer(protocol_version v, framer_options o, Storage storage = {}) noexcept
      : storage_(std::move(storage)), opts_(o), version_(v) {
    // A packet must fit in a fixed buffer, so a fixed buffer caps the packet size.
    if constexpr (!Storage::growable) {
      limit_ = std::min(opts_.max_packet_size, storage_.capacity());
    } else {
      limit_ = opts_.max_packet_size;
    }
  }

  /// Writable space for the next read: exactly `n` bytes for the growable `framer`; for the
  /// fixed-storage framers up to `n` bytes, fewer if the buffer is that full (empty only when it
  /// is full of packets the caller has not taken with next()). Moves buffered bytes to the front
  /// when needed, so it invalidates views into packets returned earlier. After a sticky error the
  /// bytes held are dropped (the stream is dead) and what is committed is discarded.
  MQTTWIRE_ALWAYS_INLINE constexpr std::span<char> prepare(std::size_t n) {
    // The common case, room behind the bytes held and behind the pending packet's reservation:
    // one compare. Every other case (no buffer yet, a buffer to compact or grow, a dead stream, a
    // body being skipped) keeps hold_end_ past the room there is, so it fails this test.
    if (n <= room_behind()) return {storage_.data() + end_, n};
    return prepare_in_general(n);
  }

  /// `n` bytes of the last prepare() were filled. Precondition: n <= that span's size. Reads the
  /// pending packet's fixed header if it became readable and the packet is not all here (so an
  /// oversized packet is caught here, before its body); a packet that arrived whole, header and
  /// all, is checked by next(), which decodes it.
  MQTTWIRE_ALWAYS_INLINE constexpr void commit(std::size_t n) noexcept {
    end_ += n;
    // More bytes of a packet whose header is read, or of a header already found incomplete
    // at this length: nothing to look at yet.
    if (end_ >= settle_at_) [[unlikely]] commit_in_general(n);
  }

  /// Hands the framer a chunk: prepare() + copy + commit(), except that the body of a packet
  /// being skipped is never copied. Returns the number of bytes taken: all of them for `framer`;
  /// a fixed-storage framer takes what fits, and the caller offers the rest after next().
  MQTTWIRE_ALWAYS_INLINE constexpr std::size_t feed(bytes_view chunk) {
    // The common case, a chunk that fits behind the bytes held (a small read, or bytes arriving
    // one at a time): copy it and look at the header, without the general loop. A dead stream
    // or a body being skipped fails this test (see prepare()).
    // (No buffer yet is the general path's too: g++ 12 -O1 cannot tell that an empty framer has
    // no room and warns of a copy to its null buffer here.)
    if (chunk.size() <= room_behind() && storage_.data() != nullptr) {
      append(chunk.data(), chunk.size());
      return chunk.size();
    }
    return feed_in_general(chunk);
  }

  /// The next complete packet, in stream order. errc::incomplete: more bytes are needed (the
  /// packet views of earlier results are still valid). Other errors: see the class comment.
  /// The packet's views live until the next prepare()/feed().
  MQTTWIRE_ALWAYS_INLINE constexpr result<packet> next() noexcept {
    // Waiting for the rest of the pending packet (or of its fixed header): one compare.
    if (end_ < want_end_) return need_more();
    // The common case: a whole packet at the front of the buffer, whose size is known or can be
    // read off a 1- or 2-byte Remaining Length. decode() checks the fixed header itself, so a
    // header that arrived with its packet is read once, not once here and again in decode().
    const std::size_t held = end_ - begin_;
    const char* at = storage_.data() + begin_;
    std::size_t size = take_size_;  // a size whose header was read and checked, or 0, or "none"
    if (size == 0) {
      size = size_if_readable(at, held);
      // size - 1 >= limit_: not readable here (0) or too large (the general path reports it).
      if (size - 1 >= limit_ || !in_connect_order(at[0])) return next_not_whole();
    }
    // size - 1 < held: a readable size (not 0, not the "none" of a dead or skipping stream)
    // whose packet is all here.
    if (size - 1 < held) return take_packet(at, size);
    return next_not_whole();
  }

  /// Calls `on_packet(const packet&)` for every complete packet buffered, in stream order, so a
  /// reader does not write the `next()` loop itself. `on_packet` may return bool: false stops
  /// the drain after that packet. Returns {success} when the buffered bytes are used up (feed
  /// more), or the sticky error (or a packet_too_large report with skip_oversized), which ends
  /// the drain. The packets' views live until the next prepare()/feed().
  template <class F>
  constexpr error drain(F&& on_packet) {
    for (;;) {
      result<packet> p = next();
      if (!p) return p.code() == errc::incomplete ? error{} : p.error();
      if constexpr (std::is_same_v<std::invoke_result_t<F&, const packet&>, bool>) {
        if (!on_packet(std::as_const(*p))) return {};
      } else {
        on_packet(std::as_const(*p));
      }
    }
  }

  /// Stream offset of the next byte not yet returned as part of a packet (or skipped).
  constexpr std::uint64_t stream_offset() const noexcept {
    return failed() ? packet_offset_ : base_ + begin_;  // a dead stream stops at its bad packet
  }
  /// Stream offset of the first byte of the packet last returned or reported by next().
  constexpr std::uint64_t packet_offset() const noexcept { return packet_offset_; }
  /// Frees the buffer of the growable `framer` while it holds no bytes (buffered() == 0, or
  /// after a sticky error), so that a connection waiting for its peer holds no read buffer; the
  /// next prepare() or feed() allocates again. Returns the bytes freed: 0 while bytes are
  /// buffered, and always for the fixed-storage framers. Like prepare(), it ends the views into
  /// packets returned earlier. A server calls it before it waits for a socket to be readable.
  constexpr std::size_t release_buffer() noexcept {
    if (failed()) drop_held();
    if (begin_ != end_) return 0;
    rebase();
    const std::size_t freed = storage_.release();
    refresh();
    return freed;
  }

  /// Where the stream stands, for a framer that is idle() (nothing buffered, no body being
  /// skipped, no sticky error); nullopt otherwise, since those cannot be carried over. A framer
  /// made with the same options and given it by resume() goes on as this one would: same stream
  /// offsets, protocol version and CONNECT order. Its stats() start again from zero.
  constexpr std::optional<framer_position> position() const noexcept {
    if (!idle()) return std::nullopt;
    return framer_position{stream_offset(), version_, connected_};
  }
  /// Continues a stream from `p` (from position()): the next byte handed in is at stream offset
  /// p.offset. For a framer that has been handed no bytes yet; packet_offset() is p.offset
  /// until the next packet is returned.
  constexpr void resume(framer_position p) noexcept {
    base_ = p.offset - begin_;  // begin_ == end_: nothing handed in yet
    packet_offset_ = p.offset;
    version_ = p.version;
    connected_ = p.connect_seen;
  }

  /// Total bytes handed to the framer (committed or fed), including discarded ones.
  constexpr std::uint64_t received() const noexcept { return base_ + end_; }
  /// True when nothing is pending: no buffered bytes, no skipped body still to come, no sticky
  /// error. At end of stream, after draining next(), false means a partial packet was left over.
  constexpr bool idle() const noexcept { return !failed() && skip_ == 0 && begin_ == end_; }
  /// Bytes held but not yet returned as packets.
  constexpr std::size_t buffered() const noexcept { return end_ - begin_; }
  /// Size of the buffer the framer holds now.
  constexpr std::size_t capacity() const noexcept { return storage_.capacity(); }
  /// The packet size limit in force (max_packet_size, capped by a fixed buffer's size).
  constexpr std::size_t max_packet_size() const noexcept { return limit_; }
  /// The sticky error, if any.
  constexpr std::optional<error> failure() const noexcept {
    if (failed()) return error_;
    return std::nullopt;
  }
  /// Stream offset of the faulty byte of the sticky error (0 if none).
  constexpr std::uint64_t fault_offset() const noexcept { return fault_offset_; }
  /// What to report when the peer closes: {success} if idle(), the sticky error if there is one,
  /// otherwise errc::incomplete at the stream offset where the left-over partial packet starts.
  constexpr error end_of_stream() const noexcept {
    if (failed()) return error_;
    if (idle()) return {};
    return {errc::incomplete,
            static_cast<std::size_t>(skip_ > 0 ? packet_offset_ : stream_offset())};
  }

  constexpr protocol_version version() const noexcept { return version_; }
  /// Switches the rules for the packets not yet returned, e.g. once a server has read CONNECT
  /// (which is decoded by its own protocol name whatever the version).
  constexpr void set_version(protocol_version v) noexcept { version_ = v; }
  constexpr const framer_options& settings() const noexcept { return opts_; }
  constexpr const framer_stats& stats() const noexcept { return stats_; }

 private:
  // The state is in two parts. The slow part says what the stream is doing: error_ (sticky),
  // report_ (a packet_too_large to report), skip_ (an oversized body to discard), starved_at_,
  // and, while the stream lives, take_size_ (the pending packet's size once its header is read).
  // The fast part is a few buffer indices derived from it by refresh(), so that the calls made
  // for every read and every packet each test one of them and nothing else:
  //   prepare()/feed(): room while end_ and hold_end_ leave n bytes of the capacity;
  //   commit():         nothing to do while end_ stays below settle_at_;
  //   next():           incomplete while end_ is below want_end_, and a packet of take_size_
  //                     bytes to take once it is all held.
  // Every slow path that changes the slow part ends with refresh().
  static constexpr std::size_t none = SIZE_MAX;

  constexpr bool failed() const noexcept { return error_.code != errc::success; }
  constexpr bool reporting() const noexcept { return report_.code != errc::success; }
  // Neither a sticky error, nor a report to hand out, nor a body being skipped.
  constexpr bool live() const noexcept { return !failed() && !reporting() && skip_ == 0; }
  // The stream offset of storage_[begin_] (stream_offset() but for a dead stream).
  constexpr std::uint64_t front_offset() const noexcept { return base_ + begin_; }

  // The room kept from begin_ for the pending packet once its size is known (capped).
  constexpr std::size_t reserve() const noexcept {
    if (!live() || take_size_ == 0) return 0;
    return known_reserve();
  }
  // reserve() for a live stream whose pending packet's size is known.
  constexpr std::size_t known_reserve() const noexcept {
    return std::min(take_size_, eager_reserve_limit);
  }

  // The bytes prepare() and feed() may write without the general path: what is left behind the
  // bytes held and the pending packet's reservation, 0 in the states that need the general path
  // (end_ and hold_end_ never pass the capacity).
  constexpr std::size_t room_behind() const noexcept {
    return storage_.capacity() - std::max(end_, hold_end_);
  }

  // Derives the fast part of the state from the slow part (see above).
  constexpr void refresh() noexcept {
    const std::size_t cap = storage_.capacity();
    if (!live()) {
      take_size_ = none;  // next() takes the general path for the error, report or skipping
      want_end_ = 0;
      settle_at_ = 0;     // commit() drops what a dead stream or a skipped body is handed
      // prepare() and feed() take the general path of a dead stream or a skipped body.
      hold_end_ = (failed() || skip_ > 0) ? cap : 0;
      return;
    }
    // Back from a report or a skipped body (never from an error): no header is read.
    if (take_size_ == none) take_size_ = 0;
    if (take_size_ != 0) {
      derive_for_known_size();
    } else {
      // A byte more than the header held when it was found incomplete (or than none).
      settle_at_ = begin_ + starved_at_ + 1;
      want_end_ = settle_at_;
      hold_end_ = 0;
    }
  }

  // refresh() of a live stream whose pending packet's size (take_size_) is known: nothing for
  // commit() to read, incomplete until the packet is all here, and its room reserved.
  constexpr void derive_for_known_size() noexcept {
    settle_at_ = none;
    want_end_ = begin_ + take_size_;
    hold_end_ = std::min(begin_ + known_reserve(), storage_.capacity());
  }

  // The pending packet's fixed header was read and checked, and its packet has `size` bytes (at
  // most limit_). For a live stream.
  constexpr void accept_header(std::size_t size) noexcept {
    starved_at_ = 0;
    take_size_ = size;
    derive_for_known_size();
  }

  // Moves the front of the buffer to index 0 in the offsets' terms (the caller moves the bytes).
  constexpr void rebase() noexcept {
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }

  // Drops every byte held (a dead stream keeps none); they stay counted in received().
  constexpr void drop_held() noexcept {
    base_ += end_;
    begin_ = end_ = 0;
  }

  // prepare() for the rest: a dead stream, no buffer yet, a buffer to compact or grow, the
  // fixed storages' part of a read, a body being skipped.
  MQTTWIRE_NOINLINE constexpr std::span<char> prepare_in_general(std::size_t n) {
    if (failed()) drop_held();
    if (!has_room(n)) make_room(n);
    refresh();
    if constexpr (Storage::growable) {
      return {storage_.data() + end_, n};  // has_room() or make_room() made room for all n
    } else {
      const std::size_t room = storage_.capacity() - end_;
      return {storage_.data() + end_, std::min(n, room)};
    }
  }

  // commit() of n bytes (already added to end_) when there is something to do: drop them (a dead
  // stream), drop what belongs to a body being skipped, or read the pending packet's header.
  MQTTWIRE_NOINLINE constexpr void commit_in_general(std::size_t n) noexcept {
    // The common cases, in a live stream (take_size_ is 0 only then): a packet that is all here
    // already (a read that ends where packets do) needs nothing before next() takes it, since
    // decode() checks its header; or the pending header has just become readable and is a usual
    // one.
    if (take_size_ == 0) {
      const std::size_t held = end_ - begin_;
      const std::size_t whole = size_if_readable(storage_.data() + begin_, held);
      if (whole - 1 < held && whole - 1 < limit_) {
        // Its header is complete: a mark of an incomplete one must not outlive it (next()
        // would not look at the packet behind it until more bytes came).
        starved_at_ = 0;
        return;
      }
      if (accept_usual_header()) return;
    }
    if (failed()) {
      end_ -= n;
      base_ += n;
      return;
    }
    if (skip_ > 0) drop_skipped(n);
    settle();
  }

  // commit() of n fresh bytes (the last n before end_) while the body of an oversized packet is
  // being skipped: drops what belongs to it and moves the rest to where the fresh bytes began
  // (skipping means nothing is buffered, so they start with the skipped body).
  constexpr void drop_skipped(std::size_t n) noexcept {
    char* fresh = storage_.data() + end_ - n;
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, n));
    skip_ -= k;
    stats_.discarded_bytes += k;
    std::copy(fresh + k, fresh + n, fresh);
    stats_.moved_bytes += n - k;
    end_ -= k;
    base_ += k;  // the k bytes were received and passed over: both offsets move on
    refresh();
  }

  // feed() for a chunk that does not simply fit: a body being skipped, a dead stream, a buffer
  // to grow or compact (or, for the fixed storages, to fill only in part).
  MQTTWIRE_NOINLINE constexpr std::size_t feed_in_general(bytes_view chunk) {
    std::size_t used = 0;
    if (failed()) {
      drop_held();
      base_ += chunk.size();
      return chunk.size();
    }
    while (used < chunk.size()) {
      if (skip_ > 0) {
        const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, chunk.size() - used));
        skip_ -= k;
        base_ += k;
        stats_.discarded_bytes += k;
        used += k;
        refresh();
        continue;
      }
      const std::span<char> space = prepare(chunk.size() - used);
      if (space.empty()) break;
      append(chunk.data() + used, space.size());
      used += space.size();
      if (failed()) {  // the rest of the stream is dead: take it all
        base_ += chunk.size() - used;
        return chunk.size();
      }
    }
    return used;
  }

  // next() when the front packet is not all here or its header is not one next() reads itself.
  // The common case is the packet left incomplete at the end of a read, in a live stream, with a
  // usual header (see detail::usual_packet_size): its header is read and checked here, once,
  // without the general path's frame. Everything else is next_in_general()'s.
  MQTTWIRE_NOINLINE constexpr result<packet> next_not_whole() noexcept {
    // take_size_ is 0 only while the stream lives.
    if (take_size_ == 0 && accept_usual_header() && end_ - begin_ < take_size_) return need_more();
    return next_in_general();
  }

  // next() for everything but a whole packet at the front: a sticky error, a report, a body
  // being skipped, a fixed header still to read (or to refuse), a packet still incomplete.
  constexpr result<packet> next_in_general() noexcept {
    // take_size_ is 0 only while the stream lives, so the packet left incomplete at the end of a
    // read (the common case here) goes straight to its header.
    if (take_size_ != 0) {
      if (failed()) return error_;
      if (reporting()) return take_report();
      if (skip_ > 0) {
        discard_buffered();
        if (skip_ > 0) return need_more();
      }
    }
    if (take_size_ == 0) {
      parse_header();
      if (failed()) return error_;
      if (reporting()) return take_report();
      if (take_size_ == 0) return need_more();  // refresh() made any byte more worth a look
    }
    const std::size_t size = take_size_;
    if (end_ - begin_ < size) return need_more();  // want_end_ is begin_ + size
    return take_packet(storage_.data() + begin_, size);
  }

  // Decodes the whole packet of `size` bytes at the front of the buffer (its size is at most
  // limit_) and hands it out, or makes its fault the sticky error.
  MQTTWIRE_ALWAYS_INLINE constexpr result<packet> take_packet(const char* at, std::size_t size) noexcept {
    ++stats_.decode_calls;
    stats_.decoded_bytes += size;
    // Decoded straight into the result handed out (the placeholder is overwritten). The
    // placeholder holds a run-time value on purpose: from constants alone g++ 12 builds the
    // result by zeroing all of its bytes first.
    result<packet> r(std::in_place, std::in_place_type<puback>,
                     puback{static_cast<std::uint16_t>(size)});
    const decode_result d = decode_into(bytes_view(at, size), *r, version_, opts_.rules);
    if (!d) [[unlikely]] {
      r = refuse(d.error());
      return r;  // one object returned on every path, so it is built in the caller's place
    }
    packet_offset_ = front_offset();
    begin_ += size;
    // What refresh() derives for a live stream with no header read yet, written out: any byte
    // more is worth a look (want_end_ may stay while bytes are left: it is at most begin_ now).
    take_size_ = 0;
    hold_end_ = 0;
    if (begin_ == end_) {
      // Nothing left: the next bytes go to the front, so no compaction will have to move any.
      // The returned packet's bytes stay where they are until then.
      // The caller's next() finds that out with one compare.
      rebase();
      want_end_ = 1;
    }
    settle_at_ = begin_ + 1;
    if (opts_.require_connect_first && (detail::u8(at[0]) >> 4) == 1) {
      connected_ = true;
      version_ = std::get<connect>(*r).protocol;
    }
    return r;
  }

  // A packet decode() refused. A fixed-header fault is the header's to report, as when the
  // header is read before the body arrives (the same code and offset).
  MQTTWIRE_NOINLINE constexpr result<packet> refuse(error in_packet) noexcept {
    if (take_size_ == 0) {
      parse_header();
      if (failed()) return error_;
    }
    fail(in_packet);
    return error_;
  }

  // The size of the packet at `at` when its Remaining Length is 1 or 2 bytes and all of it is
  // among the `held` bytes; 0 otherwise (the general path reads longer or partial headers).
  static constexpr std::size_t size_if_readable(const char* at, std::size_t held) noexcept {
    if (held < 2) return 0;
    const std::size_t b1 = detail::u8(at[1]);
    if (b1 < 0x80) return 2 + b1;
    if (held < 3) return 0;
    const std::size_t b2 = detail::u8(at[2]);
    if (b2 >= 0x80) return 0;
    return 3 + ((b1 & 0x7Fu) | (b2 << 7));
  }

  // False when require_connect_first refuses the packet whose first byte is `first`.
  constexpr bool in_connect_order(char first) const noexcept {
    if (!opts_.require_connect_first) return true;
    const bool is_connect = (detail::u8(first) >> 4) == static_cast<unsigned>(packet_type::connect);
    return is_connect != connected_;
  }

  constexpr result<packet> need_more() const noexcept {
    return error{errc::incomplete, static_cast<std::size_t>(received())};
  }

  constexpr result<packet> take_report() noexcept {
    const error e = report_;
    report_ = {};
    refresh();
    return e;
  }

  constexpr void fail(error in_packet) noexcept {
    const std::uint64_t at = front_offset();
    error_ = error{in_packet.code, static_cast<std::size_t>(at)};
    fault_offset_ = at + in_packet.offset;
    packet_offset_ = at;
    refresh();
  }

  // Copies n bytes in behind the bytes held (the caller made room) and reads the header.
  MQTTWIRE_ALWAYS_INLINE constexpr void append(const char* from, std::size_t n) noexcept {
    char* to = storage_.data() + end_;
    if (n <= 8) {
      // A few bytes (a byte-at-a-time peer, a header read on its own): cheaper than a call.
      for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
    } else {
      std::copy(from, from + n, to);
    }
    stats_.copied_bytes += n;
    commit(n);
  }

  // Work that can be done as soon as bytes arrive: read the pending packet's fixed header.
  constexpr void settle() noexcept {
    if (live() && take_size_ == 0) parse_header();
  }

  // Reads the pending packet's fixed header, for a live stream with none read yet, when it is a
  // usual one (see detail::usual_packet_size) of a packet within the limit and in CONNECT order:
  // the common case, without parse_header()'s exact checks. False leaves it to parse_header().
  constexpr bool accept_usual_header() noexcept {
    const std::size_t held = end_ - begin_;
    const char* at = storage_.data() + begin_;
    // usual - 1 < limit_ is false for the 0 of "not sure" too, and a size means held >= 2.
    const std::size_t usual = detail::usual_packet_size(at, held, opts_.rules);
    if (usual - 1 >= limit_ || !in_connect_order(at[0])) return false;
    stats_.header_bytes += std::min<std::size_t>(held, 5);
    accept_header(usual);
    return true;
  }

  constexpr void parse_header() noexcept {
    const std::size_t held = end_ - begin_;
    // Retry only when new bytes arrived, so each header byte is looked at a bounded number of times.
    if (held == 0 || held == starved_at_) return;
    if (opts_.require_connect_first) {
      // The type nibble of the first byte is all it takes ([MQTT-3.1.0-1], [MQTT-3.1.0-2]).
      const bool is_connect = (detail::u8(storage_.data()[begin_]) >> 4) ==
                              static_cast<unsigned>(packet_type::connect);
      if (!connected_ && !is_connect) return fail({errc::first_packet_not_connect, 0});
      if (connected_ && is_connect) return fail({errc::second_connect, 0});
    }
    if (accept_usual_header()) return;
    stats_.header_bytes += std::min<std::size_t>(held, 5);
    // peek_header's checks, without building its result.
    const detail::header_read read =
        detail::read_header(storage_.data() + begin_, held, version_, opts_.rules);
    if (read.ec != errc::success) {
      if (read.ec == errc::incomplete) {
        starved_at_ = static_cast<std::uint8_t>(held);  // an incomplete header has 1..4 bytes
        refresh();
      } else {
        fail({read.ec, read.at});
      }
      return;
    }
    const std::size_t size = read.h.size();
    if (size > limit_) {
      starved_at_ = 0;
      // The fault is the Remaining Length field, at byte 1 of the packet.
      if (!opts_.skip_oversized) {
        fail({errc::packet_too_large, 1});
        return;
      }
      report_ = error{errc::packet_too_large, static_cast<std::size_t>(front_offset())};
      packet_offset_ = front_offset();
      skip_ = size;
      discard_buffered();
      return;
    }
    accept_header(size);
  }

  constexpr void discard_buffered() noexcept {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, end_ - begin_));
    begin_ += k;
    skip_ -= k;
    stats_.discarded_bytes += k;
    refresh();
  }

  // Whether n bytes fit after end_ with the room make_room() would keep.
  constexpr bool has_room(std::size_t n) const noexcept {
    const std::size_t cap = storage_.capacity();
    return cap - end_ >= n && cap - begin_ >= reserve() + n;
  }

  // The bytes to keep room for from begin_: those held, or the whole pending packet when its
  // size is known (up to the eager reservation).
  constexpr std::size_t pending_size() const noexcept { return std::max(end_ - begin_, reserve()); }

  // Makes room for n bytes after end_ (as far as the storage allows) when has_room(n) is false.
  // Only called from prepare(), so views into returned packets stay valid through next().
  //
  // Once the pending packet's size is known, room for all of it is made at once, while little of
  // it is buffered: a large packet that arrives in many reads is then received in place instead
  // of being moved again each time the tail of the buffer runs out. The reservation made ahead
  // of the bytes is capped (eager_reserve_limit), so a peer cannot make us allocate a maximum
  // size packet by sending its 5-byte header; beyond the cap, growth stays geometric.
  constexpr void make_room(std::size_t n) {
    const std::size_t cap = storage_.capacity();
    const std::size_t held = end_ - begin_;
    const std::size_t need = pending_size() + n;
    // Never past one maximum packet plus this read while the caller drains: the memory bound of
    // the class comment (a caller that does not drain gets geometric growth).
    const std::size_t most = need - n <= limit_ ? std::max(need, limit_ + n) : SIZE_MAX;
    // Compacting moves the bytes held, so it is done only in a buffer of twice what is needed:
    // then it happens at most once per half a buffer of input. A buffer of exactly one large
    // packet plus a read would instead move the start of every such packet received.
    if (!Storage::growable || (cap >= need && cap >= std::min(2 * need, most))) {
      std::copy(storage_.data() + begin_, storage_.data() + end_, storage_.data());
    } else {
      // Geometric growth (amortised linear), to twice what is needed.
      const std::size_t grown = std::max({2 * need, 2 * cap, std::size_t{256}});
      storage_.regrow(std::min(grown, most), begin_, end_);
    }
    stats_.moved_bytes += held;
    rebase();
  }

  static constexpr std::size_t eager_reserve_limit = std::size_t{1} << 20;

  Storage storage_;
  framer_options opts_;
  std::size_t limit_ = 0;
  // The fast part (see refresh()), then the buffer's bounds.
  std::size_t hold_end_ = 0;       // prepare() has room while n <= capacity - max(end_, this)
  std::size_t settle_at_ = 1;      // commit() has work to do once end_ reaches this
  std::size_t want_end_ = 1;       // next() says incomplete while end_ is below this
  std::size_t take_size_ = 0;      // the pending packet's checked size, 0 (unread) or none
  std::size_t begin_ = 0;          // first byte not yet returned
  std::size_t end_ = 0;            // end of the bytes held
  std::uint64_t base_ = 0;         // stream offset of storage_[0]: received() is base_ + end_
  std::uint64_t packet_offset_ = 0;  // start of the packet last returned or reported
  std::uint64_t fault_offset_ = 0;
  std::uint64_t skip_ = 0;         // bytes of an oversized packet still to discard
  bool connected_ = false;         // a CONNECT was returned (require_connect_first)
  protocol_version version_;
  std::uint8_t starved_at_ = 0;    // bytes held (1..4) when the header was found incomplete
  // Plain errors rather than optionals: g++ 12 -O2 warns maybe-uninitialized on optional<error>.
  error error_{};   // sticky once its code is not success
  error report_{};  // a packet_too_large still to report (skip_oversized)
  framer_stats stats_{};
};

/// The framer over a growable std::vector<char> buffer (allocates; prepare/feed may throw
/// std::bad_alloc). See basic_framer for the contract.
class framer : public basic_framer<detail::vector_storage> {
 public:
  constexpr explicit framer(protocol_version v = protocol_version::v3_1_1, framer_options o = {})
      : basic_framer(v, o) {}
};

/// An allocation-free framer over N bytes inside the object, for firmware without a heap. Same
/// behaviour and results as `framer` for packets of up to N bytes; max_packet_size is capped at
/// N. prepare() may give fewer than the bytes asked for and feed() may take part of a chunk
/// (see basic_framer); offering a chunk no larger than N minus the largest packet always fits.
template <std::size_t N>
class static_framer : public basic_framer<detail::array_storage<N>> {
 public:
  constexpr explicit static_framer(protocol_version v = protocol_version::v3_1_1,
                                   framer_options o = {})
      : basic_framer<detail::array_storage<N>>(v, o) {}
};

/// An allocation-free framer over a buffer the caller owns (and keeps alive while it is used).
/// Same rules as static_framer, with the buffer's size in place of N.
class span_framer : public basic_framer<detail::span_storage> {
 public:
  constexpr explicit span_framer(std::span<char> buffer,
                                 protocol_version v = protocol_version::v3_1_1,
                                 framer_options o = {})
      : basic_framer(v, o, detail::span_storage(buffer)) {}
};

}  // namespace mqttwire

#endif  // MQTTWIRE_FRAMER_HPP
