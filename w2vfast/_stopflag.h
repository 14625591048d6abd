/* A flag one thread sets to ask C loops running in other threads to stop (Ctrl-C, an error elsewhere).
 * Relaxed atomics: the loops only need to see the flag soon, not in any order with other memory. */
#ifndef W2VFAST_STOPFLAG_H
#define W2VFAST_STOPFLAG_H

#include <stdint.h>

static inline int w2v_flag_is_set(const int64_t *flag) {
    return flag != NULL && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

static inline void w2v_flag_store(int64_t *flag, int64_t value) {
    __atomic_store_n(flag, value, __ATOMIC_RELAXED);
}

#endif
