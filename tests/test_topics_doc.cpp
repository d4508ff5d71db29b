// SPDX-License-Identifier: MIT
// The snippets of docs/topics.md (topic rules, matching, the subscription index), compiled and run,
// and the check that the document shows exactly them.
#include "doc_snippets.hpp"

#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// snippet: topic-rules
// Names and filters are checked as decode checks them; matching is constexpr too.
static_assert(mqttwire::validate_topic_name("a/+") ==
              mqttwire::error{mqttwire::errc::wildcard_in_topic_name, 2});
static_assert(mqttwire::validate_topic_filter("sport/#/x") ==
              mqttwire::error{mqttwire::errc::misplaced_multi_level_wildcard, 6});
static_assert(mqttwire::topic_matches("sport/+/player1", "sport/tennis/player1"));
static_assert(mqttwire::topic_matches("sport/#", "sport"));   // '#' includes the parent level
static_assert(!mqttwire::topic_matches("sport/+", "sport"));  // '+' is exactly one level
static_assert(mqttwire::topic_matches("+/+", "/finance"));    // empty levels count
static_assert(!mqttwire::topic_matches("#", "$SYS/uptime"));  // wildcards skip '$' topics...
static_assert(mqttwire::topic_matches("#", "$SYS/uptime", false));  // ...unless told not to
static_assert(mqttwire::has_wildcards("sport/+") && !mqttwire::has_wildcards("sport/tennis"));
// end snippet

namespace first_look {

// snippet: subscription-lookup
struct broker {
  mqttwire::subscription_index<std::uint64_t> subs;  // (filter, client id) pairs
  std::vector<std::pair<std::uint64_t, std::string>> sent;

  std::vector<std::uint8_t> on_subscribe(std::uint64_t client, const mqttwire::subscribe& s) {
    std::vector<std::uint8_t> codes;  // the SUBACK's return codes
    for (const mqttwire::subscription sub : s.subscriptions) {
      const bool ok = subs.add(sub.topic_filter, client, sub.qos).has_value();  // bad: false
      codes.push_back(ok ? static_cast<std::uint8_t>(sub.qos) : mqttwire::suback_code::failure);
    }
    return codes;
  }
  void on_publish(const mqttwire::publish& p) {
    subs.match(p.topic, [&](std::uint64_t client, std::string_view filter) {
      sent.emplace_back(client, filter);  // deliver p to client
    });
  }
};
// end snippet

}  // namespace first_look

// snippet: delivery-decision
// The subscriptions of a broker's clients, and what it sends for a PUBLISH.
struct broker {
  mqttwire::subscription_index<std::uint64_t> subs;  // client id; the value is the granted QoS

  // SUBSCRIBE: grant the QoS asked for. An identical filter replaces the client's old
  // subscription [MQTT-3.8.4-3]; an invalid one gets the failure code.
  std::vector<std::uint8_t> on_subscribe(std::uint64_t client, const mqttwire::subscribe& s) {
    std::vector<std::uint8_t> codes;  // the SUBACK's return codes, one per filter
    for (const mqttwire::subscription sub : s.subscriptions) {
      const bool ok = subs.add(sub.topic_filter, client, sub.qos).has_value();
      codes.push_back(ok ? static_cast<std::uint8_t>(sub.qos) : mqttwire::suback_code::failure);
    }
    return codes;
  }

  // UNSUBSCRIBE compares filters literally [MQTT-3.10.4-1]; an unknown filter is no error.
  void on_unsubscribe(std::uint64_t client, const mqttwire::unsubscribe& u) {
    for (const std::string_view filter : u.topic_filters) {
      static_cast<void>(subs.remove(filter, client));
    }
  }

  // PUBLISH: one copy per client with a matching filter, at the highest QoS granted to those
  // filters [MQTT-3.3.5-1], but never above the QoS it was published with [MQTT-3.8.4-6].
  template <class Send>
  void on_publish(const mqttwire::publish& p, Send&& send) const {
    subs.match_subscribers(p.topic, [&](std::uint64_t client, mqttwire::qos_level granted) {
      send(client, std::min(p.qos, granted));
    });
  }

  // A persistent session is saved with its subscriptions; a clean one forgets them.
  std::vector<std::pair<std::string, mqttwire::qos_level>> saved(std::uint64_t client) const {
    std::vector<std::pair<std::string, mqttwire::qos_level>> out;
    subs.for_each([&](std::string_view filter, std::uint64_t c, mqttwire::qos_level q) {
      if (c == client) out.emplace_back(filter, q);
    });
    return out;
  }
  void on_session_end(std::uint64_t client) { subs.remove_all(client); }
};
// end snippet

namespace {

using mqttwire::qos_level;
using sent_list = std::vector<std::pair<std::uint64_t, qos_level>>;

constexpr qos_level q0 = qos_level::at_most_once;
constexpr qos_level q1 = qos_level::at_least_once;
constexpr qos_level q2 = qos_level::exactly_once;

sent_list publish(const broker& b, std::string_view topic, qos_level qos) {
  sent_list sent;
  b.on_publish(mqttwire::publish{.qos = qos, .topic = topic, .packet_id = 1},
               [&](std::uint64_t client, qos_level q) { sent.emplace_back(client, q); });
  return sent;
}

}  // namespace

TEST_CASE("topics doc: the broker's delivery decision") {
  broker b;
  const mqttwire::subscription seven[] = {{"a/+", q1}, {"a/#", q2}, {"a/b", q0}};
  CHECK(b.on_subscribe(7, mqttwire::subscribe{1, false, seven}) ==
        std::vector<std::uint8_t>{1, 2, 0});
  const mqttwire::subscription eight[] = {{"a/b", q1}, {"a/#/b", q2}};
  CHECK(b.on_subscribe(8, mqttwire::subscribe{2, false, eight}) ==
        std::vector<std::uint8_t>{1, 0x80});
  CHECK(b.subs.size() == 4);

  // One copy per client: client 7 at the highest QoS of its three filters, capped by the
  // message's QoS.
  CHECK(publish(b, "a/b", q2) == sent_list{{7, q2}, {8, q1}});
  CHECK(publish(b, "a/b", q1) == sent_list{{7, q1}, {8, q1}});
  CHECK(publish(b, "a/b", q0) == sent_list{{7, q0}, {8, q0}});
  CHECK(publish(b, "a", q2) == sent_list{{7, q2}});  // "a/#" includes the parent
  CHECK(publish(b, "b", q2).empty());

  // The same filter again replaces the subscription: "a/#" now at QoS 0, "a/+" gives QoS 1.
  const mqttwire::subscription again[] = {{"a/#", q0}};
  CHECK(b.on_subscribe(7, mqttwire::subscribe{3, false, again}) == std::vector<std::uint8_t>{0});
  CHECK(b.subs.size() == 4);
  CHECK(publish(b, "a/b", q2) == sent_list{{7, q1}, {8, q1}});

  const std::string_view gone[] = {"a/+", "a/x"};  // "a/x" was never subscribed
  b.on_unsubscribe(7, mqttwire::unsubscribe{4, false, gone});
  CHECK(publish(b, "a/b", q2) == sent_list{{7, q0}, {8, q1}});

  auto kept = b.saved(7);
  std::sort(kept.begin(), kept.end());
  CHECK(kept == std::vector<std::pair<std::string, qos_level>>{{"a/#", q0}, {"a/b", q0}});
  b.on_session_end(7);
  CHECK(b.saved(7).empty());
  CHECK(publish(b, "a/b", q2) == sent_list{{8, q1}});
  CHECK(b.subs.size() == 1);
}

TEST_CASE("topics doc: which filters match a topic") {
  first_look::broker b;
  const mqttwire::subscription filters[] = {{"sport/tennis/+", mqttwire::qos_level::at_least_once},
                                            {"sport/#", mqttwire::qos_level::at_most_once}};
  CHECK(b.on_subscribe(7, mqttwire::subscribe{1, false, filters}) ==
        std::vector<std::uint8_t>{1, 0});
  const std::span<const mqttwire::subscription> second(filters + 1, 1);
  CHECK(b.on_subscribe(8, mqttwire::subscribe{1, false, second}) == std::vector<std::uint8_t>{0});
  const mqttwire::subscription bad[] = {{"sport/#/x", mqttwire::qos_level::at_most_once}};
  CHECK(b.on_subscribe(9, mqttwire::subscribe{2, false, bad}) == std::vector<std::uint8_t>{0x80});
  b.on_publish(mqttwire::publish{.topic = "sport/tennis/player1"});
  std::sort(b.sent.begin(), b.sent.end());
  CHECK(b.sent == std::vector<std::pair<std::uint64_t, std::string>>{
                      {7, "sport/#"}, {7, "sport/tennis/+"}, {8, "sport/#"}});
}

TEST_CASE("topics doc: the topic rules hold at run time too") {
  // The run-time checks take the vector path for ASCII strings; the answers must not change.
  CHECK(mqttwire::validate_topic_name("a/+") ==
        mqttwire::error{mqttwire::errc::wildcard_in_topic_name, 2});
  CHECK(mqttwire::validate_topic_filter("sport/#/x") ==
        mqttwire::error{mqttwire::errc::misplaced_multi_level_wildcard, 6});
  CHECK(mqttwire::validate_topic_name("sport/tennis/player1") == mqttwire::error{});
  CHECK_FALSE(mqttwire::topic_matches("#", "$SYS/uptime"));
  CHECK(mqttwire::topic_matches("#", "$SYS/uptime", false));
}

TEST_CASE("topics doc: the document shows exactly the snippets compiled here") {
  const auto blocks = doc_snippets::check_document("docs/topics.md", {"tests/test_topics_doc.cpp"});
  CHECK(blocks.size() == 3);
}
