// SPDX-License-Identifier: MIT
// Checks over every Markdown file of the repository: each C++ block is a snippet that a test
// compiles, and each relative link (with its #anchor) leads to a file and heading that exist.
#include "doc_snippets.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The Markdown files of the repository (build trees and node_modules left out), as paths from
// the root with '/' separators.
std::vector<std::string> markdown_files() {
  std::vector<std::string> out;
  const fs::path root = doc_snippets::source_dir();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name.rfind("build", 0) == 0 || name == "node_modules" ||
                               name.front() == '.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".md") {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The lines of a Markdown text outside fenced code blocks, with inline code spans blanked.
std::vector<std::string> prose_lines(const std::string& markdown) {
  std::vector<std::string> out;
  std::istringstream lines(markdown);
  bool fenced = false;
  for (std::string line; std::getline(lines, line);) {
    const std::size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, 3, "```") == 0) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    bool code = false;
    for (char& c : line) {
      const bool tick = c == '`';
      if (tick) code = !code;
      if (tick || code) c = ' ';
    }
    out.push_back(line);
  }
  return out;
}

// The anchor GitHub gives a heading: lower case, punctuation dropped (but '-' and '_'), spaces
// as '-'. Inline code keeps its text.
std::string slug(std::string_view heading) {
  std::string out;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ') {
      out += '-';
    } else if (std::isalnum(u) || c == '-' || c == '_' || u >= 0x80) {
      out += static_cast<char>(std::tolower(u));
    }
  }
  return out;
}

// The anchors of a Markdown text's headings; a repeated heading gets -1, -2, ... as on GitHub.
std::set<std::string> anchors(const std::string& markdown) {
  std::set<std::string> out;
  std::map<std::string, int> seen;
  std::istringstream lines(markdown);
  bool fenced = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced || line.empty() || line.front() != '#') continue;
    const std::size_t text = line.find_first_not_of('#');
    if (text == std::string::npos || line[text] != ' ') continue;
    const std::string s = slug(std::string_view(line).substr(text + 1));
    const int n = seen[s]++;
    out.insert(n == 0 ? s : s + "-" + std::to_string(n));
  }
  return out;
}

// The targets of the inline links of one line of prose: [text](target).
std::vector<std::string> link_targets(const std::string& line) {
  std::vector<std::string> out;
  for (std::size_t at = line.find("]("); at != std::string::npos; at = line.find("](", at + 2)) {
    const std::size_t end = line.find(')', at + 2);
    if (end == std::string::npos) break;
    out.push_back(line.substr(at + 2, end - at - 2));
  }
  return out;
}

bool is_external(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 ||
         target.rfind("mailto:", 0) == 0;
}

}  // namespace

TEST_CASE("docs: the helpers read headings and links as GitHub does") {
  CHECK(slug("Strict by default: options and the 3.1 rules") ==
        "strict-by-default-options-and-the-31-rules");
  CHECK(slug("The fixed header alone: `peek_header`") == "the-fixed-header-alone-peek_header");
  CHECK(slug("A server's answers and a client's checks") ==
        "a-servers-answers-and-a-clients-checks");
  CHECK(anchors("# A\n## B b\n```\n# not a heading\n```\n## B b\n") ==
        std::set<std::string>{"a", "b-b", "b-b-1"});
  CHECK(link_targets("see [x](a.md) and [y](b.md#c), not ( this )") ==
        std::vector<std::string>{"a.md", "b.md#c"});
  std::string blanked = "a";  // appended: g++ 12 -O3 warns falsely (-Wrestrict) on "a" + string
  blanked.append(16, ' ');
  blanked += 'b';
  CHECK(prose_lines("a `[x](gone.md)` b\n```\n[y](gone.md)\n```\n") ==
        std::vector<std::string>{blanked});
}

TEST_CASE("docs: the README and the guides are all there") {
  const std::vector<std::string> files = markdown_files();
  for (const char* expected :
       {"README.md", "docs/codec.md", "docs/framer.md", "docs/topics.md", "docs/owned.md",
        "docs/sessions.md", "docs/cli.md", "docs/install.md", "docs/fuzzing.md",
        "docs/performance.md", "docs/conformance.md"}) {
    CHECK_MESSAGE(std::find(files.begin(), files.end(), expected) != files.end(), expected);
  }
  for (const std::string& f : files) {
    // Each text lives in one place: the old README copies are gone.
    CHECK_MESSAGE(f.rfind("docs/readme-", 0) != 0, f << " repeats the README");
  }
}

TEST_CASE("docs: every C++ block of every Markdown file is a snippet a test compiles") {
  std::vector<std::string> compiled;
  for (const auto& entry : fs::directory_iterator(doc_snippets::source_dir() / "tests")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("test_", 0) != 0 || entry.path().extension() != ".cpp") continue;
    for (auto& s : doc_snippets::snippets_in(doc_snippets::read_file("tests/" + name))) {
      compiled.push_back(std::move(s.code));
    }
  }
  CHECK(compiled.size() >= 20);
  std::size_t blocks = 0;
  for (const std::string& file : markdown_files()) {
    for (const std::string& block : doc_snippets::cpp_blocks(doc_snippets::read_file(file))) {
      ++blocks;
      CHECK_MESSAGE(std::find(compiled.begin(), compiled.end(), block) != compiled.end(),
                    file << " has a C++ block that no test compiles:\n" << block);
    }
  }
  CHECK(blocks == compiled.size());  // and every snippet is shown somewhere
}

TEST_CASE("docs: every relative link leads to a file, and every #anchor to a heading") {
  const fs::path root = doc_snippets::source_dir();
  std::size_t links = 0;
  for (const std::string& file : markdown_files()) {
    const std::string text = doc_snippets::read_file(file);
    for (const std::string& line : prose_lines(text)) {
      for (const std::string& target : link_targets(line)) {
        if (is_external(target)) continue;
        ++links;
        INFO(file << ": link " << target);
        const std::size_t hash = target.find('#');
        const std::string path = target.substr(0, hash);
        const fs::path resolved =
            path.empty() ? root / file : (root / file).parent_path() / fs::path(path);
        REQUIRE_MESSAGE(fs::exists(resolved), "no such file: " << resolved.string());
        if (hash == std::string::npos) continue;
        const std::string anchor = target.substr(hash + 1);
        const std::string relative = fs::relative(resolved, root).generic_string();
        CHECK_MESSAGE(anchors(doc_snippets::read_file(relative)).count(anchor) == 1,
                      "no heading for #" << anchor << " in " << relative);
      }
    }
  }
  CHECK(links >= 30);
}
