// SPDX-License-Identifier: MIT
// mqttwire CLI: the JSON form of every packet, both ways (the table of the CLI contract).
#ifndef MQTTWIRE_CLI_PACKET_JSON_HPP
#define MQTTWIRE_CLI_PACKET_JSON_HPP

#include "json.hpp"

#include <mqttwire/mqttwire.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mqttwire_cli {

// ---------------------------------------------------------------- packet -> JSON

/// Appends bytes as lowercase hex digits, two per byte (the "..._hex" fields, `encode --hex`).
inline void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0Fu]);
  }
}

namespace detail {

inline json::value hex_value(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size() * 2);
  append_hex(text, bytes);
  return text;
}

inline void add_fields(json::value& j, const mqttwire::connect& c) {
  const bool v311 = c.protocol == mqttwire::protocol_version::v3_1_1;
  j["protocol_name"] = v311 ? "MQTT" : "MQIsdp";
  j["protocol_level"] = static_cast<unsigned>(c.protocol);
  j["clean_session"] = c.clean_session;
  j["keep_alive"] = c.keep_alive;
  j["client_id"] = c.client_id;
  json::value will;  // null
  if (c.will) {
    will["topic"] = c.will->topic;
    will["payload_hex"] = hex_value(c.will->payload);
    will["qos"] = static_cast<unsigned>(c.will->qos);
    will["retain"] = c.will->retain;
  }
  j["will"] = std::move(will);
  j["username"] = c.username ? json::value(*c.username) : json::value();
  j["password_hex"] = c.password ? hex_value(*c.password) : json::value();
}

inline void add_fields(json::value& j, const mqttwire::connack& c) {
  j["session_present"] = c.session_present;
  j["return_code"] = static_cast<unsigned>(c.return_code);
}

inline void add_fields(json::value& j, const mqttwire::publish& p) {
  j["dup"] = p.dup;
  j["qos"] = static_cast<unsigned>(p.qos);
  j["retain"] = p.retain;
  j["topic"] = p.topic;
  j["packet_id"] = p.packet_id ? json::value(*p.packet_id) : json::value();
  j["payload_hex"] = hex_value(p.payload);
}

template <class Ack>
  requires(std::same_as<Ack, mqttwire::puback> || std::same_as<Ack, mqttwire::pubrec> ||
           std::same_as<Ack, mqttwire::pubcomp> || std::same_as<Ack, mqttwire::unsuback>)
void add_fields(json::value& j, const Ack& a) {
  j["packet_id"] = a.packet_id;
}

inline void add_fields(json::value& j, const mqttwire::pubrel& p) {
  j["packet_id"] = p.packet_id;
  j["dup"] = p.dup;
}

inline void add_fields(json::value& j, const mqttwire::subscribe& s) {
  j["packet_id"] = s.packet_id;
  j["dup"] = s.dup;
  json::value list = json::value::array();
  for (const mqttwire::subscription sub : s.subscriptions) {
    json::value item = json::value::object();
    item["topic_filter"] = sub.topic_filter;
    item["qos"] = static_cast<unsigned>(sub.qos);
    list.push_back(std::move(item));
  }
  j["subscriptions"] = std::move(list);
}

inline void add_fields(json::value& j, const mqttwire::suback& s) {
  j["packet_id"] = s.packet_id;
  json::value list = json::value::array();
  for (const std::uint8_t code : s.return_codes) list.push_back(code);
  j["return_codes"] = std::move(list);
}

inline void add_fields(json::value& j, const mqttwire::unsubscribe& u) {
  j["packet_id"] = u.packet_id;
  j["dup"] = u.dup;
  json::value list = json::value::array();
  for (const std::string_view filter : u.topic_filters) list.push_back(filter);
  j["topic_filters"] = std::move(list);
}

template <class Empty>
  requires(std::same_as<Empty, mqttwire::pingreq> || std::same_as<Empty, mqttwire::pingresp> ||
           std::same_as<Empty, mqttwire::disconnect>)
void add_fields(json::value&, const Empty&) {}

}  // namespace detail

/// Appends one packet as a JSON object with "type" first (no newline).
inline void append_json(std::string& out, const mqttwire::packet& p) {
  json::value j = json::value::object();
  j["type"] = mqttwire::to_string(mqttwire::type_of(p));
  std::visit([&](const auto& alt) { detail::add_fields(j, alt); }, p);
  json::write(out, j);
}

/// Appends the error line of the contract: {"error": "<code>", "offset": N}.
inline void append_error_json(std::string& out, mqttwire::errc code, std::uint64_t offset) {
  json::value j = json::value::object();
  j["error"] = mqttwire::to_string(code);
  j["offset"] = offset;
  json::write(out, j);
}

// ---------------------------------------------------------------- JSON -> packet

/// Owns what a packet read from JSON points into: decoded hex fields and list elements.
/// Strings that need no decoding stay views into the json::value, which must outlive the packet.
struct packet_storage {
  std::deque<std::string> bytes;  // a deque: growing it never moves the earlier strings
  std::vector<mqttwire::subscription> subscriptions;
  std::vector<std::string_view> topic_filters;
  std::vector<std::uint8_t> return_codes;
};

namespace detail {

// Reads the members of one JSON object, checking that each is there once with the right kind
// and that no unknown member is left over (a misspelt field must not be silently ignored).
class fields {
 public:
  fields(const json::value& object, std::string where, std::string& problem)
      : object_(object), where_(std::move(where)), problem_(problem), used_(object.size()) {}

  bool ok() const noexcept { return problem_.empty(); }

  // Member `name`, or nullptr when absent (and `required` false) or on error.
  const json::value* get(std::string_view name, bool required) {
    std::size_t i = 0;
    for (auto member = object_.begin(); member != object_.end(); ++member, ++i) {
      if (member.key() == name) {
        used_[i] = true;
        return &member.value();
      }
    }
    if (required) fail("missing field \"" + std::string(name) + "\"");
    return nullptr;
  }

  bool boolean(std::string_view name, bool fallback) {
    const json::value* v = get(name, false);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) return wrong(name, "true or false", *v), fallback;
    return v->get<bool>();
  }

  // An integer from 0 to `max`. JSON has one number type, but a fraction or an exponent in a
  // packet id or a QoS is a mistake in the input, not a value to round: only what nlohmann
  // read as an unsigned integer is taken, so "1.0", "1e0", "-0" and integers past 2^64 are not.
  std::uint32_t integer(std::string_view name, std::uint32_t max, std::optional<std::uint32_t> fallback) {
    const json::value* v = get(name, !fallback.has_value());
    if (v == nullptr) return fallback.value_or(0);
    return integer_of(*v, name, max);
  }

  std::uint32_t integer_of(const json::value& v, std::string_view name, std::uint32_t max) {
    const std::string range = "an integer from 0 to " + std::to_string(max);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max) return wrong(name, range, v), 0;
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }

  // A string field; `fallback` when absent (nullopt = required).
  std::string_view string(std::string_view name, std::optional<std::string_view> fallback) {
    const json::value* v = get(name, !fallback.has_value());
    if (v == nullptr) return fallback.value_or("");
    return string_of(*v, name);
  }

  std::string_view string_of(const json::value& v, std::string_view name) {
    if (!v.is_string()) return wrong(name, "a string", v), std::string_view{};
    return v.get_ref<const std::string&>();
  }

  // A "..._hex" field: bytes written as pairs of hex digits (either case accepted on input).
  std::string_view hex(std::string_view name, std::optional<std::string_view> fallback,
                       packet_storage& store) {
    const json::value* v = get(name, !fallback.has_value());
    if (v == nullptr) return fallback.value_or("");
    return hex_of(*v, name, store);
  }

  std::string_view hex_of(const json::value& v, std::string_view name, packet_storage& store) {
    const std::string what = "a string of hex digit pairs";
    if (!v.is_string() || v.get_ref<const std::string&>().size() % 2 != 0) {
      return wrong(name, what, v), "";
    }
    const std::string& text = v.get_ref<const std::string&>();
    std::string& out = store.bytes.emplace_back();
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const int hi = nibble(text[i]);
      const int lo = nibble(text[i + 1]);
      if (hi < 0 || lo < 0) return wrong(name, what, v), "";
      out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
  }

  // Called once all known members were read: anything unread is unknown.
  void no_other_fields() {
    std::size_t i = 0;
    for (auto member = object_.begin(); member != object_.end() && ok(); ++member, ++i) {
      if (!used_[i]) fail("unknown field \"" + member.key() + "\"");
    }
  }

  void fail(const std::string& message) {
    if (problem_.empty()) problem_ = where_ + ": " + message;
  }
  void wrong(std::string_view name, std::string_view expected, const json::value& got) {
    std::string message = "field \"" + std::string(name) + "\" must be " + std::string(expected);
    if (!got.is_number() && !got.is_string()) {
      message += ", not " + std::string(json::kind_name(got));
    }
    fail(message);
  }

 private:
  static int nibble(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  const json::value& object_;
  std::string where_;
  std::string& problem_;
  std::vector<bool> used_;
};

// Values one past the range of the library's types are let through on purpose: QoS 3, a
// CONNACK code 6, packet id 0 are well-typed JSON for a packet the library then rejects by name.
constexpr std::uint32_t max_qos_field = 3;
constexpr std::uint32_t max_u16 = 65535;
constexpr std::uint32_t max_u8 = 255;

inline mqttwire::qos_level qos_of(std::uint32_t n) { return static_cast<mqttwire::qos_level>(n); }

inline mqttwire::packet read_connect(fields& f, mqttwire::protocol_version v, packet_storage& store) {
  mqttwire::connect c{};
  // CONNECT names its own version; without protocol_name/protocol_level it takes --protocol's.
  const json::value* name = f.get("protocol_name", false);
  const json::value* level = f.get("protocol_level", false);
  std::optional<mqttwire::protocol_version> by_name, by_level;
  if (name != nullptr) {
    const std::string_view n = f.string_of(*name, "protocol_name");
    if (n == "MQTT") {
      by_name = mqttwire::protocol_version::v3_1_1;
    } else if (n == "MQIsdp") {
      by_name = mqttwire::protocol_version::v3_1;
    } else if (f.ok()) {
      f.fail("invalid_protocol_name: field \"protocol_name\" must be \"MQTT\" or \"MQIsdp\"");
    }
  }
  if (level != nullptr) {
    const std::uint32_t l = f.integer_of(*level, "protocol_level", max_u8);
    if (l == 3 || l == 4) {
      by_level = static_cast<mqttwire::protocol_version>(l);
    } else if (f.ok()) {
      f.fail("unsupported_protocol_level: field \"protocol_level\" must be 3 (MQIsdp) or 4 (MQTT)");
    }
  }
  if (by_name && by_level && *by_name != *by_level) {
    f.fail("unsupported_protocol_level: protocol_level " + std::to_string(static_cast<unsigned>(*by_level)) +
           " does not go with protocol_name \"" + name->get_ref<const std::string&>() + "\"");
  }
  c.protocol = by_name.value_or(by_level.value_or(v));
  c.clean_session = f.boolean("clean_session", true);
  c.keep_alive = static_cast<std::uint16_t>(f.integer("keep_alive", max_u16, 0));
  c.client_id = f.string("client_id", std::nullopt);
  if (const json::value* will = f.get("will", false); will != nullptr && !will->is_null()) {
    if (!will->is_object()) {
      f.wrong("will", "null or an object {topic, payload_hex, qos, retain}", *will);
    } else {
      std::string problem;
      fields w(*will, "field \"will\"", problem);
      mqttwire::last_will lw{};
      lw.topic = w.string("topic", std::nullopt);
      lw.payload = w.hex("payload_hex", "", store);
      lw.qos = qos_of(w.integer("qos", max_qos_field, 0));
      lw.retain = w.boolean("retain", false);
      w.no_other_fields();
      if (!problem.empty()) f.fail(problem);
      c.will = lw;
    }
  }
  if (const json::value* user = f.get("username", false); user != nullptr && !user->is_null()) {
    if (!user->is_string()) {
      f.wrong("username", "null or a string", *user);
    } else {
      c.username = std::string_view(user->get_ref<const std::string&>());
    }
  }
  if (const json::value* pass = f.get("password_hex", false); pass != nullptr && !pass->is_null()) {
    c.password = f.hex_of(*pass, "password_hex", store);
  }
  return c;
}

inline mqttwire::packet read_publish(fields& f, packet_storage& store) {
  mqttwire::publish p{};
  p.dup = f.boolean("dup", false);
  p.qos = qos_of(f.integer("qos", max_qos_field, 0));
  p.retain = f.boolean("retain", false);
  p.topic = f.string("topic", std::nullopt);
  if (const json::value* id = f.get("packet_id", false); id != nullptr && !id->is_null()) {
    p.packet_id = static_cast<std::uint16_t>(f.integer_of(*id, "packet_id", max_u16));
  }
  p.payload = f.hex("payload_hex", "", store);
  return p;
}

template <class Ack>
mqttwire::packet read_ack(fields& f) {
  Ack a{};
  a.packet_id = static_cast<std::uint16_t>(f.integer("packet_id", max_u16, std::nullopt));
  if constexpr (requires { a.dup; }) a.dup = f.boolean("dup", false);
  return a;
}

inline const json::value* array_field(fields& f, std::string_view name) {
  const json::value* list = f.get(name, true);
  if (list != nullptr && !list->is_array()) {
    f.wrong(name, "an array", *list);
    return nullptr;
  }
  return list;
}

inline mqttwire::packet read_subscribe(fields& f, packet_storage& store) {
  mqttwire::subscribe s{};
  s.packet_id = static_cast<std::uint16_t>(f.integer("packet_id", max_u16, std::nullopt));
  s.dup = f.boolean("dup", false);
  if (const json::value* list = array_field(f, "subscriptions")) {
    for (std::size_t i = 0; i < list->size() && f.ok(); ++i) {
      const json::value& item = (*list)[i];
      const std::string where = "subscriptions[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        f.fail(where + " must be an object {topic_filter, qos}");
        break;
      }
      std::string problem;
      fields e(item, where, problem);
      mqttwire::subscription sub{};
      sub.topic_filter = e.string("topic_filter", std::nullopt);
      sub.qos = qos_of(e.integer("qos", max_qos_field, std::nullopt));
      e.no_other_fields();
      if (!problem.empty()) f.fail(problem);
      store.subscriptions.push_back(sub);
    }
  }
  s.subscriptions = store.subscriptions;
  return s;
}

inline mqttwire::packet read_suback(fields& f, packet_storage& store) {
  mqttwire::suback s{};
  s.packet_id = static_cast<std::uint16_t>(f.integer("packet_id", max_u16, std::nullopt));
  if (const json::value* list = array_field(f, "return_codes")) {
    for (std::size_t i = 0; i < list->size() && f.ok(); ++i) {
      const std::string where = "return_codes[" + std::to_string(i) + "]";
      store.return_codes.push_back(static_cast<std::uint8_t>(f.integer_of((*list)[i], where, max_u8)));
    }
  }
  s.return_codes = store.return_codes;
  return s;
}

inline mqttwire::packet read_unsubscribe(fields& f, packet_storage& store) {
  mqttwire::unsubscribe u{};
  u.packet_id = static_cast<std::uint16_t>(f.integer("packet_id", max_u16, std::nullopt));
  u.dup = f.boolean("dup", false);
  if (const json::value* list = array_field(f, "topic_filters")) {
    for (std::size_t i = 0; i < list->size() && f.ok(); ++i) {
      const std::string where = "topic_filters[" + std::to_string(i) + "]";
      store.topic_filters.push_back(f.string_of((*list)[i], where));
    }
  }
  u.topic_filters = store.topic_filters;
  return u;
}

}  // namespace detail

/// Reads one packet from its JSON form. Fields with an obvious default may be left out (see
/// docs/cli.md); unknown fields are errors. Returns nullopt and sets `problem` to a
/// sentence naming the field when the JSON does not describe a packet. Whether the packet is
/// valid MQTT is left to mqttwire::validate, so its error names reach the user unchanged.
inline std::optional<mqttwire::packet> packet_from_json(const json::value& v, mqttwire::protocol_version version,
                                                        packet_storage& store, std::string& problem) {
  problem.clear();
  if (!v.is_object()) {
    problem = "expected a JSON object, not " + std::string(json::kind_name(v));
    return std::nullopt;
  }
  const auto type = v.find("type");
  if (type == v.end() || !type->is_string()) {
    problem = "missing field \"type\" (a string such as \"publish\")";
    return std::nullopt;
  }
  const std::string& t = type->get_ref<const std::string&>();
  detail::fields f(v, t, problem);
  f.get("type", true);
  std::optional<mqttwire::packet> p;
  using namespace mqttwire;
  if (t == "connect") {
    p = detail::read_connect(f, version, store);
  } else if (t == "connack") {
    connack c{};
    c.session_present = f.boolean("session_present", false);
    c.return_code = static_cast<connect_return_code>(
        f.integer("return_code", detail::max_u8, std::nullopt));
    p = c;
  } else if (t == "publish") {
    p = detail::read_publish(f, store);
  } else if (t == "puback") {
    p = detail::read_ack<puback>(f);
  } else if (t == "pubrec") {
    p = detail::read_ack<pubrec>(f);
  } else if (t == "pubrel") {
    p = detail::read_ack<pubrel>(f);
  } else if (t == "pubcomp") {
    p = detail::read_ack<pubcomp>(f);
  } else if (t == "subscribe") {
    p = detail::read_subscribe(f, store);
  } else if (t == "suback") {
    p = detail::read_suback(f, store);
  } else if (t == "unsubscribe") {
    p = detail::read_unsubscribe(f, store);
  } else if (t == "unsuback") {
    p = detail::read_ack<unsuback>(f);
  } else if (t == "pingreq") {
    p = pingreq{};
  } else if (t == "pingresp") {
    p = pingresp{};
  } else if (t == "disconnect") {
    p = disconnect{};
  } else {
    problem = "unknown packet type \"" + t + "\"";
    return std::nullopt;
  }
  f.no_other_fields();
  if (!problem.empty()) return std::nullopt;
  return p;
}

}  // namespace mqttwire_cli

#endif  // MQTTWIRE_CLI_PACKET_JSON_HPP
