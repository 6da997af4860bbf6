// Counts calls to the C allocator made by this process (malloc, calloc, realloc,
// posix_memalign, aligned_alloc), so benchmarks can report heap allocations per step.
// Linux/glibc only: the definitions in allocation_counter.c interpose the allocator entry points
// and forward to glibc's internal implementations. Elsewhere the counter reads 0.
#pragma once
#include <stdint.h>

/// Total allocator calls since process start (or -1 where counting is unavailable).
int64_t ta_allocation_count(void);
