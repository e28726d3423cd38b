// Software prefetch for the block model's batched lookups. Swift has no prefetch of its own;
// a static inline C function is imported and inlined by the compiler, so the hint costs one
// instruction.
#ifndef CLONESIM_CPREFETCH_H
#define CLONESIM_CPREFETCH_H

static inline void clonesim_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
