// SPDX-License-Identifier: MIT
#pragma once
// Invariant checks. SIM_CHECK is always on and is for states the run cannot recover from (a bug,
// never bad input: input is validated before a run starts). SIM_ASSERT compiles away in release
// builds and is for provable invariants on hot paths.

#include <cstdio>
#include <cstdlib>

namespace kubemind::engine {

[[noreturn]] inline void check_failed(const char* expr, const char* file, int line, const char* what) {
  std::fprintf(stderr, "kubemind: internal error: %s (%s) at %s:%d\n", what, expr, file, line);
  std::abort();
}

}  // namespace kubemind::engine

#define SIM_CHECK(cond, what)                                                   \
  do {                                                                          \
    if (!(cond)) ::kubemind::engine::check_failed(#cond, __FILE__, __LINE__, what); \
  } while (false)

#ifdef NDEBUG
#define SIM_ASSERT(cond, what) \
  do {                         \
  } while (false)
#else
#define SIM_ASSERT(cond, what) SIM_CHECK(cond, what)
#endif
