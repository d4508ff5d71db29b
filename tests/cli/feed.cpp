// SPDX-License-Identifier: MIT
// Test helper for the CLI tests: trickles stdin byte by byte, generates large streams, and
// measures a command's peak memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool write_all(const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(1, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// One write(2) per byte, with a pause so that the reader sees the bytes one read at a time:
// every packet then arrives split at every position.
int trickle() {
  char c = 0;
  for (;;) {
    const ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? 0 : 1;
    if (!write_all(&c, 1)) return 1;
    ::usleep(200);
  }
}

// `count` QoS 0 PUBLISHes to topic "t" with `size` payload bytes each (size < 2 MiB).
int publishes(unsigned long count, unsigned long size) {
  std::string packet;
  packet.push_back('\x30');
  unsigned long remaining = 3 + size;
  do {
    unsigned char group = remaining & 0x7Fu;
    remaining >>= 7;
    if (remaining != 0) group |= 0x80u;
    packet.push_back(static_cast<char>(group));
  } while (remaining != 0);
  packet += std::string_view("\x00\x01t", 3);
  packet.append(size, 'x');
  for (unsigned long i = 0; i < count; ++i) {
    if (!write_all(packet.data(), packet.size())) return 1;
  }
  return 0;
}

// Runs argv, then prints its peak resident set size in KiB on stderr; exits with its status.
int maxrss(char** argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    ::execvp(argv[0], argv);
    std::perror("execvp");
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  std::fprintf(stderr, "%ld\n", usage.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "trickle" && argc == 2) return trickle();
  if (mode == "publishes" && argc == 4) {
    return publishes(std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10));
  }
  if (mode == "maxrss" && argc > 2) return maxrss(argv + 2);
  std::fputs("usage: cli_feed trickle | publishes COUNT SIZE | maxrss COMMAND [ARGS...]\n", stderr);
  return 64;
}
