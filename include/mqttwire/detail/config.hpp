// SPDX-License-Identifier: MIT
// mqttwire: compiler attribute macros (inlining hints for the hot paths); nothing else.
#ifndef MQTTWIRE_DETAIL_CONFIG_HPP
#define MQTTWIRE_DETAIL_CONFIG_HPP

// The decoder and encoder are written as small functions, and their cost depends on the
// compiler folding them back into one: clang 14 -O2, left to itself, keeps decode, the fixed
// header and the topic checks as separate calls, and g++ 12 keeps some. These hints make both
// compilers build the same shape. MQTTWIRE_ALWAYS_INLINE goes on small helpers of the hot
// paths; MQTTWIRE_NOINLINE on the rare paths (exact error codes, non-ASCII strings) so that
// they do not crowd the registers of the common case. Both are hints only: constant
// evaluation and the results are the same without them.
#if defined(__GNUC__) || defined(__clang__)
#define MQTTWIRE_ALWAYS_INLINE [[gnu::always_inline]]
#define MQTTWIRE_NOINLINE [[gnu::noinline]]
#define MQTTWIRE_COLD [[gnu::noinline, gnu::cold]]
#elif defined(_MSC_VER)
#define MQTTWIRE_ALWAYS_INLINE __forceinline
#define MQTTWIRE_NOINLINE __declspec(noinline)
#define MQTTWIRE_COLD __declspec(noinline)
#else
#define MQTTWIRE_ALWAYS_INLINE
#define MQTTWIRE_NOINLINE
#define MQTTWIRE_COLD
#endif

#endif  // MQTTWIRE_DETAIL_CONFIG_HPP
