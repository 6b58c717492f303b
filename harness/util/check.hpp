// Tier 1 of the error tiers (docs/architecture.md): a broken invariant is a bug in
// hopcost, not a bad input or a failure during a run. It aborts with file:line.
#pragma once

#include <cstdio>
#include <cstdlib>

#define HOPCOST_CHECK(cond)                                                             \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "hopcost: internal error at %s:%d: check failed: %s\n",      \
                   __FILE__, __LINE__, #cond);                                          \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
