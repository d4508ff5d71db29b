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
#include <variant>
#include <vector>

namespace mqttwire_cli {

// ---------------------------------------------------------------- packet -> JSON

namespace detail {

inline void write_fields(json::writer& w, const mqttwire::connect& c) {
  const bool v311 = c.protocol == mqttwire::protocol_version::v3_1_1;
  w.key("protocol_name");
  w.string(v311 ? "MQTT" : "MQIsdp");
  w.key("protocol_level");
  w.number(static_cast<unsigned>(c.protocol));
  w.key("clean_session");
  w.boolean(c.clean_session);
  w.key("keep_alive");
  w.number(c.keep_alive);
  w.key("client_id");
  w.string(c.client_id);
  w.key("will");
  if (c.will) {
    w.begin_object();
    w.key("topic");
    w.string(c.will->topic);
    w.key("payload_hex");
    w.hex(c.will->payload);
    w.key("qos");
    w.number(static_cast<unsigned>(c.will->qos));
    w.key("retain");
    w.boolean(c.will->retain);
    w.end_object();
  } else {
    w.null();
  }
  w.key("username");
  if (c.username) {
    w.string(*c.username);
  } else {
    w.null();
  }
  w.key("password_hex");
  if (c.password) {
    w.hex(*c.password);
  } else {
    w.null();
  }
}

inline void write_fields(json::writer& w, const mqttwire::connack& c) {
  w.key("session_present");
  w.boolean(c.session_present);
  w.key("return_code");
  w.number(static_cast<std::uint8_t>(c.return_code));
}

inline void write_fields(json::writer& w, const mqttwire::publish& p) {
  w.key("dup");
  w.boolean(p.dup);
  w.key("qos");
  w.number(static_cast<unsigned>(p.qos));
  w.key("retain");
  w.boolean(p.retain);
  w.key("topic");
  w.string(p.topic);
  w.key("packet_id");
  if (p.packet_id) {
    w.number(*p.packet_id);
  } else {
    w.null();
  }
  w.key("payload_hex");
  w.hex(p.payload);
}

template <class Ack>
  requires(std::same_as<Ack, mqttwire::puback> || std::same_as<Ack, mqttwire::pubrec> ||
           std::same_as<Ack, mqttwire::pubcomp> || std::same_as<Ack, mqttwire::unsuback>)
void write_fields(json::writer& w, const Ack& a) {
  w.key("packet_id");
  w.number(a.packet_id);
}

inline void write_fields(json::writer& w, const mqttwire::pubrel& p) {
  w.key("packet_id");
  w.number(p.packet_id);
  w.key("dup");
  w.boolean(p.dup);
}

inline void write_fields(json::writer& w, const mqttwire::subscribe& s) {
  w.key("packet_id");
  w.number(s.packet_id);
  w.key("dup");
  w.boolean(s.dup);
  w.key("subscriptions");
  w.begin_array();
  for (const mqttwire::subscription sub : s.subscriptions) {
    w.begin_object();
    w.key("topic_filter");
    w.string(sub.topic_filter);
    w.key("qos");
    w.number(static_cast<unsigned>(sub.qos));
    w.end_object();
  }
  w.end_array();
}

inline void write_fields(json::writer& w, const mqttwire::suback& s) {
  w.key("packet_id");
  w.number(s.packet_id);
  w.key("return_codes");
  w.begin_array();
  for (const std::uint8_t code : s.return_codes) w.number(code);
  w.end_array();
}

inline void write_fields(json::writer& w, const mqttwire::unsubscribe& u) {
  w.key("packet_id");
  w.number(u.packet_id);
  w.key("dup");
  w.boolean(u.dup);
  w.key("topic_filters");
  w.begin_array();
  for (const std::string_view filter : u.topic_filters) w.string(filter);
  w.end_array();
}

template <class Empty>
  requires(std::same_as<Empty, mqttwire::pingreq> || std::same_as<Empty, mqttwire::pingresp> ||
           std::same_as<Empty, mqttwire::disconnect>)
void write_fields(json::writer&, const Empty&) {}

}  // namespace detail

/// Appends one packet as a JSON object with "type" first (no newline).
inline void append_json(std::string& out, const mqttwire::packet& p) {
  json::writer w(out);
  w.begin_object();
  w.key("type");
  w.string(mqttwire::to_string(mqttwire::type_of(p)));
  std::visit([&](const auto& alt) { detail::write_fields(w, alt); }, p);
  w.end_object();
}

/// Appends the error line of the contract: {"error": "<code>", "offset": N}.
inline void append_error_json(std::string& out, mqttwire::errc code, std::uint64_t offset) {
  json::writer w(out);
  w.begin_object();
  w.key("error");
  w.string(mqttwire::to_string(code));
  w.key("offset");
  w.number(offset);
  w.end_object();
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
      : object_(object), where_(std::move(where)), problem_(problem), used_(object.keys.size()) {}

  bool ok() const noexcept { return problem_.empty(); }

  // Member `name`, or nullptr when absent (and `required` false) or on error.
  const json::value* get(std::string_view name, bool required) {
    for (std::size_t i = 0; i < object_.keys.size(); ++i) {
      if (object_.keys[i] == name) {
        used_[i] = true;
        return &object_.items[i];
      }
    }
    if (required) fail("missing field \"" + std::string(name) + "\"");
    return nullptr;
  }

  bool boolean(std::string_view name, bool fallback) {
    const json::value* v = get(name, false);
    if (v == nullptr) return fallback;
    if (v->k != json::value::kind::boolean) return wrong(name, "true or false", *v), fallback;
    return v->boolean;
  }

  // An integer from 0 to `max`. JSON has one number type, but a fraction or an exponent in a
  // packet id or a QoS is a mistake in the input, not a value to round.
  std::uint32_t integer(std::string_view name, std::uint32_t max, std::optional<std::uint32_t> fallback) {
    const json::value* v = get(name, !fallback.has_value());
    if (v == nullptr) return fallback.value_or(0);
    return integer_of(*v, name, max);
  }

  std::uint32_t integer_of(const json::value& v, std::string_view name, std::uint32_t max) {
    const std::string range = "an integer from 0 to " + std::to_string(max);
    if (v.k != json::value::kind::number) return wrong(name, range, v), 0;
    std::uint64_t n = 0;
    for (const char c : v.text) {
      if (c < '0' || c > '9' || n > max) return wrong(name, range, v), 0;
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n > max) return wrong(name, range, v), 0;
    return static_cast<std::uint32_t>(n);
  }

  // A string field; `fallback` when absent (nullopt = required).
  std::string_view string(std::string_view name, std::optional<std::string_view> fallback) {
    const json::value* v = get(name, !fallback.has_value());
    if (v == nullptr) return fallback.value_or("");
    return string_of(*v, name);
  }

  std::string_view string_of(const json::value& v, std::string_view name) {
    if (v.k != json::value::kind::string) return wrong(name, "a string", v), std::string_view{};
    return v.text;
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
    if (v.k != json::value::kind::string || v.text.size() % 2 != 0) return wrong(name, what, v), "";
    std::string& out = store.bytes.emplace_back();
    out.reserve(v.text.size() / 2);
    for (std::size_t i = 0; i < v.text.size(); i += 2) {
      const int hi = nibble(v.text[i]);
      const int lo = nibble(v.text[i + 1]);
      if (hi < 0 || lo < 0) return wrong(name, what, v), "";
      out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
  }

  // Called once all known members were read: anything unread is unknown.
  void no_other_fields() {
    for (std::size_t i = 0; i < used_.size() && ok(); ++i) {
      if (!used_[i]) fail("unknown field \"" + object_.keys[i] + "\"");
    }
  }

  void fail(const std::string& message) {
    if (problem_.empty()) problem_ = where_ + ": " + message;
  }
  void wrong(std::string_view name, std::string_view expected, const json::value& got) {
    std::string message = "field \"" + std::string(name) + "\" must be " + std::string(expected);
    if (got.k != json::value::kind::number && got.k != json::value::kind::string) {
      message += ", not " + std::string(json::kind_name(got.k));
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
           " does not go with protocol_name \"" + (name != nullptr ? name->text : "") + "\"");
  }
  c.protocol = by_name.value_or(by_level.value_or(v));
  c.clean_session = f.boolean("clean_session", true);
  c.keep_alive = static_cast<std::uint16_t>(f.integer("keep_alive", max_u16, 0));
  c.client_id = f.string("client_id", std::nullopt);
  if (const json::value* will = f.get("will", false); will != nullptr && will->k != json::value::kind::null) {
    if (will->k != json::value::kind::object) {
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
  if (const json::value* user = f.get("username", false); user != nullptr && user->k != json::value::kind::null) {
    if (user->k != json::value::kind::string) {
      f.wrong("username", "null or a string", *user);
    } else {
      c.username = std::string_view(user->text);
    }
  }
  if (const json::value* pass = f.get("password_hex", false); pass != nullptr && pass->k != json::value::kind::null) {
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
  if (const json::value* id = f.get("packet_id", false); id != nullptr && id->k != json::value::kind::null) {
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
  if (list != nullptr && list->k != json::value::kind::array) {
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
    for (std::size_t i = 0; i < list->items.size() && f.ok(); ++i) {
      const json::value& item = list->items[i];
      const std::string where = "subscriptions[" + std::to_string(i) + "]";
      if (item.k != json::value::kind::object) {
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
    for (std::size_t i = 0; i < list->items.size() && f.ok(); ++i) {
      const std::string where = "return_codes[" + std::to_string(i) + "]";
      store.return_codes.push_back(static_cast<std::uint8_t>(f.integer_of(list->items[i], where, max_u8)));
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
    for (std::size_t i = 0; i < list->items.size() && f.ok(); ++i) {
      const std::string where = "topic_filters[" + std::to_string(i) + "]";
      store.topic_filters.push_back(f.string_of(list->items[i], where));
    }
  }
  u.topic_filters = store.topic_filters;
  return u;
}

}  // namespace detail

/// Reads one packet from its JSON form. Fields with an obvious default may be left out (see
/// docs/readme-cli.md); unknown fields are errors. Returns nullopt and sets `problem` to a
/// sentence naming the field when the JSON does not describe a packet. Whether the packet is
/// valid MQTT is left to mqttwire::validate, so its error names reach the user unchanged.
inline std::optional<mqttwire::packet> packet_from_json(const json::value& v, mqttwire::protocol_version version,
                                                        packet_storage& store, std::string& problem) {
  problem.clear();
  if (v.k != json::value::kind::object) {
    problem = "expected a JSON object, not " + std::string(json::kind_name(v.k));
    return std::nullopt;
  }
  const json::value* type = v.find("type");
  if (type == nullptr || type->k != json::value::kind::string) {
    problem = "missing field \"type\" (a string such as \"publish\")";
    return std::nullopt;
  }
  const std::string& t = type->text;
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
