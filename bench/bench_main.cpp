// SPDX-License-Identifier: MIT
// Catch2 2.x main with benchmarking on (Debian's prebuilt Catch2WithMain was built without it).
#define CATCH_CONFIG_MAIN
#ifndef CATCH_CONFIG_ENABLE_BENCHMARKING
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#endif
#include <catch2/catch.hpp>
