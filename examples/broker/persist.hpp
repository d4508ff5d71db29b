// SPDX-License-Identifier: MIT
// mqttwire-broker: the durable log of retained messages and persistent sessions (POSIX files,
// no Asio): append-only records, fsync'd in groups, replayed at start, compacted when large.
#ifndef MQTTWIRE_EXAMPLES_BROKER_PERSIST_HPP
#define MQTTWIRE_EXAMPLES_BROKER_PERSIST_HPP

#include <mqttwire/owned.hpp>
#include <mqttwire/session/state.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mqttwire_broker {

using namespace mqttwire;

// ---------------------------------------------------------------- messages with an identity
//
// A message is logged once however many sessions hold it; sessions refer to it by a number.
// The number and whether the message is in the log yet travel with the message itself, in the
// deleter of its shared_ptr (std::get_deleter finds them again from any copy of the pointer,
// including the ones a server_session hands back in export_state()).

/// The identity of a routed message: its log number, and whether a MESSAGE record holds it.
struct message_tag {
  std::uint64_t ref = 0;
  bool on_disk = false;
  void operator()(const owned<publish>* p) const noexcept { delete p; }
};

/// A shared_message carrying `ref` (see message_tag).
inline shared_message make_tagged(owned<publish> packet, std::uint64_t ref, bool on_disk = false) {
  return shared_message(new owned<publish>(std::move(packet)), message_tag{ref, on_disk});
}
/// The tag of a message made by make_tagged, or nullptr.
inline message_tag* tag_of(const shared_message& m) noexcept {
  return std::get_deleter<message_tag>(m);
}

// ---------------------------------------------------------------- the record format
//
// The file starts with "MQWB" and a format byte (1); then records, each
//   u8 type  u32 length  payload  u32 CRC-32 of type, length and payload
// (integers big-endian). Replay stops at the first record that is incomplete or fails its CRC:
// that is the torn tail a kill -9 or a power cut leaves, and it was never acknowledged.
//
//   message    u64 ref, u8 protocol level, the PUBLISH as it came (its wire form)
//   retain     u64 ref                       the message is the retained one of its topic
//   unretain   topic                         the topic's retained message is cleared
//   session    a whole persistent session: u16 id length, id, u8 protocol level,
//              u32 count, each: u8 stage, u8 qos, u8 retain, u16 packet id, u64 ref (0: PUBREL)
//              u32 count, each u16 packet id (QoS 2 received, not released)
//              u32 count, each: u8 qos, u16 length, filter
//   enqueue    u16 id length, id, u64 ref, u8 qos   one message queued for an offline session
//   forget     id                            the session ended (Clean Session 1)
enum class record_type : std::uint8_t {
  message = 1,
  retain = 2,
  unretain = 3,
  session = 4,
  enqueue = 5,
  forget = 6,
};

namespace detail {

inline std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept {
  // CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), a table built on first use.
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (const char ch : bytes) {
    crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  }
  return ~crc;
}

inline void put(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
inline void put_string(std::string& out, std::string_view s) {
  put(out, s.size(), 2);
  out.append(s);
}

// Reads a record's payload; every read is checked, and a failed one makes all later ones fail.
class payload_reader {
 public:
  explicit payload_reader(std::string_view in) noexcept : in_(in) {}
  std::uint64_t uint(int bytes) noexcept {
    if (!ok_ || in_.size() < static_cast<std::size_t>(bytes)) return fail();
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in_[static_cast<std::size_t>(i)]);
    in_.remove_prefix(static_cast<std::size_t>(bytes));
    return v;
  }
  std::string_view bytes(std::size_t n) noexcept {
    if (!ok_ || in_.size() < n) {
      fail();
      return {};
    }
    const std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::string_view string() noexcept { return bytes(static_cast<std::size_t>(uint(2))); }
  std::string_view rest() noexcept { return bytes(in_.size()); }
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return ok_ && in_.empty(); }

 private:
  std::uint64_t fail() noexcept {
    ok_ = false;
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

[[noreturn]] inline void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace detail

/// What the log held at start: the retained messages and the persistent sessions (all offline),
/// the next free message number, and how much of the file was a torn tail (ignored).
struct recovered_state {
  std::vector<shared_message> retained;
  std::vector<session_state> sessions;
  std::uint64_t next_ref = 1;
  std::size_t records = 0;
  std::size_t torn_bytes = 0;
};

/// The durable log in one directory (DIR/broker.log). Changes are appended to a buffer as they
/// happen; sync() writes the buffer and fdatasync()s it, so the broker calls it once for a group
/// of changes and acknowledges the group's messages after it returns. I/O errors throw
/// std::system_error: a broker that cannot write durably stops rather than acknowledge what it
/// may lose. Not thread-safe (the broker has one thread).
class store {
 public:
  /// Opens DIR/broker.log (creating DIR and the file) and replays it into recovered().
  /// `compact_bytes`: the log is rewritten as a snapshot once it is this large and twice the
  /// size of the last snapshot.
  explicit store(std::string dir, std::size_t compact_bytes = std::size_t{64} << 20)
      : dir_(std::move(dir)), compact_bytes_(compact_bytes) {
    if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) detail::throw_errno("mkdir " + dir_);
    replay();
    fd_ = ::open(path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) detail::throw_errno("open " + path());
    if (file_size_ == 0) {
      buffer_ = header();
      sync();
    }
  }
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  ~store() {
    if (fd_ >= 0) ::close(fd_);
  }

  /// The state replayed at start; taken once by the broker.
  recovered_state take_recovered() { return std::exchange(recovered_, {}); }
  std::string path() const { return dir_ + "/broker.log"; }

  // ---- changes (buffered until sync)

  /// `m` is now the retained message of its topic.
  void retain(const shared_message& m) {
    keep_message(m, buffer_);
    std::string p;
    detail::put(p, tag_of(m)->ref, 8);
    append(buffer_, record_type::retain, p);
  }
  /// The retained message of `topic` is cleared.
  void unretain(std::string_view topic) { append(buffer_, record_type::unretain, topic); }
  /// The whole state of a persistent session, replacing what the log had for it.
  void save_session(const session_state& s) { write_session(buffer_, s); }
  /// One message queued for the offline session `client` (after its last save_session).
  void enqueue(std::string_view client, const shared_message& m, qos_level qos) {
    keep_message(m, buffer_);
    std::string p;
    detail::put_string(p, client);
    detail::put(p, tag_of(m)->ref, 8);
    detail::put(p, static_cast<unsigned>(qos), 1);
    append(buffer_, record_type::enqueue, p);
  }
  /// The session of `client` is gone.
  void forget(std::string_view client) { append(buffer_, record_type::forget, client); }

  // ---- durability

  /// Bytes appended and not yet durable.
  bool pending() const noexcept { return !buffer_.empty(); }
  /// Writes what is buffered and waits until it is on disk (fdatasync). Returns false when
  /// there was nothing to write.
  bool sync() {
    if (buffer_.empty()) return false;
    write_all(fd_, buffer_);
    if (::fdatasync(fd_) != 0) detail::throw_errno("fdatasync " + path());
    file_size_ += buffer_.size();
    buffer_.clear();
    ++syncs_;
    return true;
  }
  std::uint64_t syncs() const noexcept { return syncs_; }
  std::uint64_t file_size() const noexcept { return file_size_; }

  /// True when the log has grown enough that rewrite() should replace it.
  bool wants_compaction() const noexcept {
    return file_size_ + buffer_.size() >= compact_bytes_ &&
           file_size_ + buffer_.size() >= 2 * snapshot_size_;
  }
  /// Replaces the log by a snapshot of the live state: every message still referenced, the
  /// retained ones, and each persistent session. Written to a new file, synced, then renamed
  /// over the log (and the directory synced), so a crash at any point leaves one whole log.
  void rewrite(const std::vector<shared_message>& retained, const std::vector<session_state>& sessions) {
    std::string out = header();
    std::set<std::uint64_t> written;
    const auto keep = [&](const shared_message& m) {
      if (!m) return;
      message_tag* t = tag_of(m);
      if (written.insert(t->ref).second) append_message(out, m);
      t->on_disk = true;
    };
    for (const shared_message& m : retained) {
      keep(m);
      std::string p;
      detail::put(p, tag_of(m)->ref, 8);
      append(out, record_type::retain, p);
    }
    for (const session_state& s : sessions) {
      for (const outgoing_message& o : s.outgoing) keep(o.message);
      write_session(out, s);
    }
    const std::string fresh = path() + ".new";
    const int fd = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) detail::throw_errno("open " + fresh);
    write_all(fd, out);
    if (::fdatasync(fd) != 0) detail::throw_errno("fdatasync " + fresh);
    ::close(fd);
    if (::rename(fresh.c_str(), path().c_str()) != 0) detail::throw_errno("rename " + fresh);
    sync_directory();
    ::close(fd_);
    fd_ = ::open(path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) detail::throw_errno("open " + path());
    buffer_.clear();  // everything it held is in the snapshot
    file_size_ = snapshot_size_ = out.size();
    ++syncs_;
  }

 private:
  static std::string header() { return std::string("MQWB\x01", 5); }

  static void append(std::string& out, record_type t, std::string_view payload) {
    const std::size_t start = out.size();
    out.push_back(static_cast<char>(t));
    detail::put(out, payload.size(), 4);
    out.append(payload);
    detail::put(out, detail::crc32(std::string_view(out).substr(start)), 4);
  }
  static void append_message(std::string& out, const shared_message& m) {
    std::string p;
    detail::put(p, tag_of(m)->ref, 8);
    detail::put(p, static_cast<unsigned>(m->version()), 1);
    p.append(m->wire().data(), m->wire().size());
    append(out, record_type::message, p);
  }
  // A MESSAGE record the first time a message is referenced.
  static void keep_message(const shared_message& m, std::string& out) {
    message_tag* t = tag_of(m);
    if (t->on_disk) return;
    append_message(out, m);
    t->on_disk = true;
  }
  static void write_session(std::string& out, const session_state& s) {
    for (const outgoing_message& o : s.outgoing) {
      if (o.message) keep_message(o.message, out);
    }
    std::string p;
    detail::put_string(p, s.client_id);
    detail::put(p, static_cast<unsigned>(s.version), 1);
    detail::put(p, s.outgoing.size(), 4);
    for (const outgoing_message& o : s.outgoing) {
      detail::put(p, static_cast<unsigned>(o.stage), 1);
      detail::put(p, static_cast<unsigned>(o.qos), 1);
      detail::put(p, o.retain ? 1u : 0u, 1);
      detail::put(p, o.packet_id, 2);
      detail::put(p, o.message ? tag_of(o.message)->ref : 0u, 8);
    }
    detail::put(p, s.incoming_qos2.size(), 4);
    for (const std::uint16_t id : s.incoming_qos2) detail::put(p, id, 2);
    detail::put(p, s.subscriptions.size(), 4);
    for (const stored_subscription& sub : s.subscriptions) {
      detail::put(p, static_cast<unsigned>(sub.qos), 1);
      detail::put_string(p, sub.topic_filter);
    }
    append(out, record_type::session, p);
  }

  void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        detail::throw_errno("write " + path());
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void sync_directory() {
    const int d = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) detail::throw_errno("open " + dir_);
    const int rc = ::fsync(d);
    ::close(d);
    if (rc != 0) detail::throw_errno("fsync " + dir_);
  }

  std::string read_file() {
    std::string data;
    const int fd = ::open(path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return data;
      detail::throw_errno("open " + path());
    }
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        detail::throw_errno("read " + path());
      }
      if (n == 0) break;
      data.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return data;
  }

  // Rebuilds the state record by record. A record whose CRC holds but whose contents do not
  // parse is not a torn write but a bug or a foreign file: refuse to start (std::runtime_error).
  void replay() {
    const std::string data = read_file();
    if (data.empty()) return;
    if (data.size() < 5 || data.compare(0, 5, header()) != 0) {
      throw std::runtime_error(path() + ": not a mqttwire-broker log");
    }
    std::map<std::uint64_t, shared_message> messages;
    std::map<std::string, std::uint64_t, std::less<>> retained;  // topic -> ref
    std::map<std::string, session_state, std::less<>> sessions;
    std::size_t at = 5;
    while (at < data.size()) {
      if (data.size() - at < 9) break;  // torn: not even a header and a CRC
      const std::string_view view(data);
      detail::payload_reader h(view.substr(at + 1, 4));
      const std::size_t length = static_cast<std::size_t>(h.uint(4));
      if (data.size() - at - 9 < length) break;  // torn inside the payload
      const std::string_view covered = view.substr(at, 5 + length);
      detail::payload_reader c(view.substr(at + 5 + length, 4));
      if (detail::crc32(covered) != c.uint(4)) break;  // torn or damaged
      apply(static_cast<record_type>(data[at]), covered.substr(5), at, messages, retained,
            sessions);
      ++recovered_.records;
      at += 9 + length;
    }
    recovered_.torn_bytes = data.size() - at;
    file_size_ = at;
    if (recovered_.torn_bytes != 0 && ::truncate(path().c_str(), static_cast<off_t>(at)) != 0) {
      detail::throw_errno("truncate " + path());
    }
    for (const auto& [topic, ref] : retained) recovered_.retained.push_back(messages.at(ref));
    for (auto& [id, s] : sessions) recovered_.sessions.push_back(std::move(s));
    if (!messages.empty()) recovered_.next_ref = messages.rbegin()->first + 1;
  }

  static void apply(record_type type, std::string_view payload, std::size_t at,
                    std::map<std::uint64_t, shared_message>& messages,
                    std::map<std::string, std::uint64_t, std::less<>>& retained,
                    std::map<std::string, session_state, std::less<>>& sessions) {
    detail::payload_reader r(payload);
    const auto bad = [at]() {
      return std::runtime_error("broker.log: bad record at offset " + std::to_string(at));
    };
    const auto message = [&](std::uint64_t ref) -> shared_message {
      const auto it = messages.find(ref);
      if (it == messages.end()) throw bad();
      return it->second;
    };
    switch (type) {
      case record_type::message: {
        const std::uint64_t ref = r.uint(8);
        const auto level = static_cast<protocol_version>(r.uint(1));
        const std::string_view wire = r.rest();
        auto m = owned<publish>::from_wire(bytes_view(wire.data(), wire.size()), level);
        if (!r.ok() || !m) throw bad();
        messages[ref] = make_tagged(std::move(*m), ref, true);
        return;
      }
      case record_type::retain: {
        const shared_message m = message(r.uint(8));
        if (!r.done()) throw bad();
        retained[std::string(m->view().topic)] = tag_of(m)->ref;
        return;
      }
      case record_type::unretain: {
        const auto it = retained.find(payload);
        if (it != retained.end()) retained.erase(it);
        return;
      }
      case record_type::session: {
        session_state s;
        s.client_id = std::string(r.string());
        s.version = static_cast<protocol_version>(r.uint(1));
        const std::uint64_t outgoing = r.uint(4);
        for (std::uint64_t i = 0; i < outgoing && r.ok(); ++i) {
          outgoing_message o;
          o.stage = static_cast<out_stage>(r.uint(1));
          o.qos = static_cast<qos_level>(r.uint(1));
          o.retain = r.uint(1) != 0;
          o.packet_id = static_cast<std::uint16_t>(r.uint(2));
          const std::uint64_t ref = r.uint(8);
          if (o.stage != out_stage::awaiting_pubcomp) o.message = message(ref);
          s.outgoing.push_back(std::move(o));
        }
        const std::uint64_t incoming = r.uint(4);
        for (std::uint64_t i = 0; i < incoming && r.ok(); ++i) {
          s.incoming_qos2.push_back(static_cast<std::uint16_t>(r.uint(2)));
        }
        const std::uint64_t subscriptions = r.uint(4);
        for (std::uint64_t i = 0; i < subscriptions && r.ok(); ++i) {
          const auto qos = static_cast<qos_level>(r.uint(1));
          s.subscriptions.push_back({std::string(r.string()), qos});
        }
        if (!r.done()) throw bad();
        const std::string id = s.client_id;
        sessions[id] = std::move(s);
        return;
      }
      case record_type::enqueue: {
        const std::string_view id = r.string();
        const shared_message m = message(r.uint(8));
        const auto qos = static_cast<qos_level>(r.uint(1));
        if (!r.done()) throw bad();
        const auto it = sessions.find(id);
        if (it != sessions.end()) it->second.outgoing.push_back({0, out_stage::queued, qos, false, m});
        return;
      }
      case record_type::forget: {
        const auto it = sessions.find(payload);
        if (it != sessions.end()) sessions.erase(it);
        return;
      }
    }
    throw bad();  // an unknown record type
  }

  std::string dir_;
  std::size_t compact_bytes_;
  int fd_ = -1;
  std::string buffer_;  // records not yet written
  std::uint64_t file_size_ = 0;
  std::uint64_t snapshot_size_ = 0;
  std::uint64_t syncs_ = 0;
  recovered_state recovered_;
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_PERSIST_HPP
