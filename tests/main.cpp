// SPDX-License-Identifier: MIT
// The doctest main shared by every test program (Debian's doctest-dev ships no main library).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
