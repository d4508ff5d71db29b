// SPDX-License-Identifier: MIT
// A main() for fuzz targets built without libFuzzer: runs the target once per file named on the
// command line (folders are walked recursively), so the targets compile with g++ and ctest can
// replay the seeds and every past crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.string().c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
  // A copy of exactly the file's size, so ASan sees any read past the end, as under libFuzzer.
  std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
  const std::uint8_t* data = exact.empty() ? nullptr : exact.data();
  std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.string().c_str(), exact.size());
  LLVMFuzzerTestOneInput(data, exact.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      // Sorted, so that a failure always shows up at the same point.
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.' &&
            entry.path().extension() != ".md") {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        ok = run_file(f) && ok;
        ++count;
      }
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      ok = run_file(arg) && ok;
      ++count;
    } else {
      std::fprintf(stderr, "no such file or folder: %s\n", argv[i]);
      ok = false;
    }
  }
  std::printf("replayed %zu inputs\n", count);
  return ok ? 0 : 1;
}
