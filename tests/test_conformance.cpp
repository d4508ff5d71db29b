// SPDX-License-Identifier: MIT
// docs/conformance.md lists every statement of spec §5.1 with tests that exist in tests/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {  // skip the leading '|'
    if (line[i] == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// One statement a line, from a list in tests/conformance/ (copied from the spec reference's
// tables, so that no test reads outside the repository): the id, then what follows it (the Kind
// for §5.1, nothing for §5.2). Comment lines start with '#'.
std::vector<std::pair<std::string, std::string>> statement_list(const std::string& file) {
  const auto dir = std::filesystem::path(MQTTWIRE_SOURCE_DIR) / "tests" / "conformance";
  const std::string text = read_file(dir / file);
  std::vector<std::pair<std::string, std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a checkout with CRLF endings
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    rows.emplace_back(line.substr(0, space),
                      space == std::string::npos ? std::string() : trim(line.substr(space)));
  }
  return rows;
}

// Statement id -> Kind, from the list of spec §5.1.
std::map<std::string, std::string> spec_statements() {
  std::map<std::string, std::string> ids;
  for (const auto& row : statement_list("statements-5.1.txt")) {
    INFO(row.first);
    CHECK_MESSAGE(ids.emplace(row.first, row.second).second, "listed twice in statements-5.1.txt");
  }
  return ids;
}

// All test sources: where TEST_CASE, SUBCASE and vector-row names live.
std::string test_sources() {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(MQTTWIRE_SOURCE_DIR) / "tests")) {
    const auto ext = entry.path().extension();
    if (ext == ".cpp" || ext == ".hpp") all += read_file(entry.path()) + "\n";
  }
  return all;
}

// A name exists when it is the string literal of a TEST_CASE, a SUBCASE or a vector row.
bool names_a_test(const std::string& sources, const std::string& name) {
  const std::string literal = "\"" + name + "\"";
  for (auto at = sources.find(literal); at != std::string::npos;
       at = sources.find(literal, at + 1)) {
    // A long name may be wrapped onto the line after `TEST_CASE(`.
    auto before = sources.substr(at >= 40 ? at - 40 : 0, at >= 40 ? 40 : at);
    while (!before.empty() && (before.back() == ' ' || before.back() == '\n')) before.pop_back();
    const bool test_case = before.size() >= 10 && before.substr(before.size() - 10) == "TEST_CASE(";
    const bool subcase = before.size() >= 8 && before.substr(before.size() - 8) == "SUBCASE(";
    const bool vector_row = !before.empty() && before.back() == '{';
    if (test_case || subcase || vector_row) return true;
  }
  return false;
}

// The text of part 1 (byte format, before "## Part 2") or part 2 (behaviour) of the document.
std::string part_of(const std::string& doc, int part) {
  const auto split = doc.find("\n## Part 2");
  REQUIRE_MESSAGE(split != std::string::npos, "docs/conformance.md has no \"## Part 2\" heading");
  return part == 1 ? doc.substr(0, split) : doc.substr(split);
}

// Every backticked name of a "Checked by" cell names a test; returns how many there were.
std::size_t check_names(const std::string& sources, const std::string& cell) {
  const std::regex backticked("`([^`]+)`");
  std::size_t names = 0;
  for (std::sregex_iterator it(cell.begin(), cell.end(), backticked), end; it != end; ++it) {
    const std::string name = (*it)[1];
    INFO(name);
    CHECK_MESSAGE(names_a_test(sources, name), "no TEST_CASE, SUBCASE or vector row has this name");
    ++names;
  }
  return names;
}

}  // namespace

TEST_CASE("conformance: every spec §5.2 statement is in part 2 with its layer and its tests") {
  std::set<std::string> statements;
  for (const auto& row : statement_list("statements-5.2.txt")) statements.insert(row.first);
  CHECK(statements.size() == 79);
  const std::string doc =
      read_file(std::filesystem::path(MQTTWIRE_SOURCE_DIR) / "docs" / "conformance.md");
  const std::string sources = test_sources();
  const std::set<std::string> layers = {"client_session", "server_session", "both sessions",
                                        "broker", "transport"};
  std::set<std::string> listed;
  std::size_t tested = 0;
  std::istringstream lines(part_of(doc, 2));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `[MQTT-", 0) != 0) continue;
    const auto cells = split_cells(line);
    REQUIRE(cells.size() >= 4);
    const std::string id = cells[0].substr(1, cells[0].size() - 2);
    INFO(id);
    CHECK_MESSAGE(statements.count(id) == 1, "not a statement of spec §5.2");
    CHECK_MESSAGE(listed.insert(id).second, "listed twice");
    CHECK_MESSAGE(layers.count(cells[1]) == 1, "unknown layer " << cells[1]);
    if (cells[2] == "n/a") {
      // Only what a session cannot enforce may go untested here, and it must say why.
      CHECK_MESSAGE(cells[1] != "client_session", "a client_session row needs a test");
      CHECK_MESSAGE(cells[1] != "server_session", "a server_session row needs a test");
      CHECK_MESSAGE(cells[3].size() > 20, "an n/a row must say why");
      continue;
    }
    CHECK_MESSAGE(check_names(sources, cells[2]) > 0, "no test named and not n/a");
    ++tested;
  }
  for (const auto& id : statements) {
    INFO(id);
    CHECK_MESSAGE(listed.count(id) == 1, "statement missing from part 2 of docs/conformance.md");
  }
  CHECK(tested > 55);  // every session row, and the broker rows a library test covers
}

TEST_CASE("conformance: every spec §5.1 statement is in docs/conformance.md with existing tests") {
  const auto statements = spec_statements();
  CHECK(statements.size() == 62);
  const std::string doc = read_file(std::filesystem::path(MQTTWIRE_SOURCE_DIR) / "docs" / "conformance.md");
  const std::string sources = test_sources();

  std::set<std::string> listed;
  std::istringstream lines(part_of(doc, 1));
  const std::regex backticked("`([^`]+)`");
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `[MQTT-", 0) != 0) continue;
    const auto cells = split_cells(line);
    REQUIRE(cells.size() >= 4);
    const std::string id = cells[0].substr(1, cells[0].size() - 2);
    INFO(id);
    CHECK_MESSAGE(statements.count(id) == 1, "not a statement of spec §5.1");
    CHECK_MESSAGE(listed.insert(id).second, "listed twice");
    if (statements.count(id)) CHECK(cells[1] == statements.at(id));
    const std::string& checked_by = cells[2];
    if (checked_by == "n/a") {
      CHECK_MESSAGE(cells[3].size() > 20, "an n/a row must say why");
      continue;
    }
    std::size_t names = 0;
    for (std::sregex_iterator it(checked_by.begin(), checked_by.end(), backticked), end; it != end;
         ++it) {
      const std::string name = (*it)[1];
      INFO(name);
      CHECK_MESSAGE(names_a_test(sources, name), "no TEST_CASE, SUBCASE or vector row has this name");
      ++names;
    }
    CHECK_MESSAGE(names > 0, "no test named and not n/a");
  }
  for (const auto& statement : statements) {
    const std::string id = statement.first;  // clang 14 cannot capture structured bindings
    INFO(id);
    CHECK_MESSAGE(listed.count(id) == 1, "statement missing from docs/conformance.md");
  }
}

TEST_CASE("conformance: the statement lists hold well-formed ids, §5.1 and §5.2 apart") {
  // Two ids are spelled as the 3.1.1 standard prints them: [MQTT-3-8.3-4] and [MQTT-3.1.2.7].
  const std::regex id_form(R"(\[MQTT-[0-9]+[.-][0-9]+\.[0-9]+[.-][0-9]+\])");
  const std::set<std::string> kinds = {"F", "F*", "St", "F (transport)", "F (streaming)"};
  const auto byte_format = statement_list("statements-5.1.txt");
  const auto behaviour = statement_list("statements-5.2.txt");
  CHECK(byte_format.size() == 62);
  CHECK(behaviour.size() == 79);
  std::set<std::string> seen;
  for (const auto& row : byte_format) {
    INFO(row.first);
    CHECK(std::regex_match(row.first, id_form));
    CHECK_MESSAGE(kinds.count(row.second) == 1, "Kind is " << row.second);
    CHECK(seen.insert(row.first).second);
  }
  for (const auto& row : behaviour) {
    INFO(row.first);
    CHECK(std::regex_match(row.first, id_form));
    CHECK_MESSAGE(row.second.empty(), "a §5.2 line holds the id only");
    CHECK_MESSAGE(seen.insert(row.first).second, "listed twice, or in both §5.1 and §5.2");
  }
  CHECK(seen.size() == 62 + 79);
}

TEST_CASE("conformance: the name check itself finds names and rejects unknown ones") {
  const std::string sources = test_sources();
  CHECK(names_a_test(sources, "conformance: the name check itself finds names and rejects unknown ones"));
  CHECK(names_a_test(sources, "spec §3.12: PINGREQ"));
  CHECK_FALSE(names_a_test(sources, "a test that nobody wrote"));
  CHECK_FALSE(names_a_test(sources, "spec §3.12"));
}
