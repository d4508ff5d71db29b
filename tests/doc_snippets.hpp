// SPDX-License-Identifier: MIT
// Test support for the documents: the compiled snippets of a test source and the C++ blocks of a
// Markdown file, so that each document is checked to show exactly the code its tests compile.
#ifndef MQTTWIRE_TESTS_DOC_SNIPPETS_HPP
#define MQTTWIRE_TESTS_DOC_SNIPPETS_HPP

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace doc_snippets {

/// The repository root (the tests never read outside it).
inline std::filesystem::path source_dir() { return std::filesystem::path(MQTTWIRE_SOURCE_DIR); }

/// A file of the repository, by its path from the root; fails the test when it cannot be read.
inline std::string read_file(std::string_view relative) {
  const std::filesystem::path p = source_dir() / std::filesystem::path(relative);
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << p.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `s` without the indentation (spaces) common to its non-empty lines.
inline std::string dedent(const std::string& s) {
  std::istringstream lines(s);
  std::vector<std::string> all;
  std::size_t indent = std::string::npos;
  for (std::string line; std::getline(lines, line);) {
    all.push_back(line);
    if (!line.empty()) indent = std::min(indent, line.find_first_not_of(' '));
  }
  std::string out;
  for (const std::string& line : all) {
    out += (line.size() >= indent ? line.substr(indent) : std::string()) + '\n';
  }
  return out;
}

/// One snippet of a test source: its name and its code, dedented.
struct snippet {
  std::string name;
  std::string code;
};

/// The snippets of a test source: the lines between `// snippet: <name>` and `// end snippet`.
/// A line that contains '"' is never a marker, so that code may name the markers in strings.
inline std::vector<snippet> snippets_in(const std::string& source) {
  std::vector<snippet> out;
  std::istringstream lines(source);
  std::string name, body;
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    const bool quoted = line.find('"') != std::string::npos;
    if (const auto at = line.find("// snippet: "); !quoted && at != std::string::npos) {
      REQUIRE_MESSAGE(!inside, "snippet " << name << " has no end marker");
      name = line.substr(at + 12);
      body.clear();
      inside = true;
      continue;
    }
    if (!quoted && line.find("// end snippet") != std::string::npos) {
      REQUIRE_MESSAGE(inside, "an end marker without a snippet after " << name);
      out.push_back({name, dedent(body)});
      inside = false;
      continue;
    }
    if (inside) body += line + '\n';
  }
  REQUIRE_MESSAGE(!inside, "snippet " << name << " has no end marker");
  return out;
}

/// A fenced code block of a Markdown text.
struct block {
  std::string language;  ///< the word after the opening fence ("cpp", "sh", or empty)
  std::string code;      ///< its lines, without the fence's indentation
};

/// Every fenced block of a Markdown text, in order.
inline std::vector<block> blocks_in(const std::string& markdown) {
  std::vector<block> out;
  std::istringstream lines(markdown);
  bool inside = false;
  std::size_t indent = 0;
  block current;
  for (std::string line; std::getline(lines, line);) {
    const std::size_t first = line.find_first_not_of(' ');
    const bool fence = first != std::string::npos && line.compare(first, 3, "```") == 0;
    if (fence && !inside) {
      inside = true;
      indent = first;
      current = {line.substr(first + 3), {}};
      continue;
    }
    if (fence && inside) {
      out.push_back(current);
      inside = false;
      continue;
    }
    if (!inside) continue;
    current.code += (line.size() >= indent ? line.substr(indent) : std::string()) + '\n';
  }
  REQUIRE_MESSAGE(!inside, "a code block is not closed");
  return out;
}

/// True for the fence words that mark C++ code.
inline bool is_cpp(std::string_view language) {
  return language == "cpp" || language == "c++" || language == "C++" || language == "cxx";
}

/// The C++ blocks of a Markdown text, in order.
inline std::vector<std::string> cpp_blocks(const std::string& markdown) {
  std::vector<std::string> out;
  for (const block& b : blocks_in(markdown)) {
    if (is_cpp(b.language)) out.push_back(b.code);
  }
  return out;
}

/// Checks that the C++ blocks of `document` are exactly the snippets of `sources`: every block
/// is one of the snippets, and every snippet is shown exactly once. Paths are from the
/// repository root. Returns the blocks, for checks of their own.
inline std::vector<std::string> check_document(std::string_view document,
                                               std::initializer_list<std::string_view> sources) {
  const std::vector<std::string> blocks = cpp_blocks(read_file(document));
  std::vector<std::pair<std::string, snippet>> compiled;  // (source, snippet)
  for (const std::string_view source : sources) {
    for (snippet& s : snippets_in(read_file(source))) compiled.emplace_back(source, std::move(s));
  }
  INFO("document " << document);
  CHECK_FALSE(compiled.empty());
  for (const std::string& b : blocks) {
    const bool found = std::any_of(compiled.begin(), compiled.end(),
                                   [&](const auto& c) { return c.second.code == b; });
    CHECK_MESSAGE(found, "a C++ block of the document is not a compiled snippet:\n" << b);
  }
  for (const auto& c : compiled) {  // no structured binding: clang 14 cannot capture one
    const auto shown = std::count(blocks.begin(), blocks.end(), c.second.code);
    CHECK_MESSAGE(shown == 1, "snippet '" << c.second.name << "' of " << c.first << " is shown "
                                          << shown << " times, not once");
  }
  return blocks;
}

}  // namespace doc_snippets

#endif  // MQTTWIRE_TESTS_DOC_SNIPPETS_HPP
