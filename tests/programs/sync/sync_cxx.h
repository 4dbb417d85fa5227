// sync_cxx.h: what the C++ sync test programs share.
//
// Includes common/ticker.h from C++: that header uses C11 <stdatomic.h>
// names (atomic_int, atomic_load, ...) which g++ 12 does not provide in C++
// mode, so the std:: equivalents are brought into the global namespace first.
// Also sync_util.h (watchdog, errno names, fail()), and expect_bool().
#ifndef SYNC_CXX_H
#define SYNC_CXX_H

#include <atomic>
using std::atomic_int;
using std::atomic_long;
using std::atomic_load;
using std::atomic_store;

#include "sync_util.h"
#include "ticker.h"

static inline void expect_bool(const char *label, bool got, bool want)
{
	printf("%s: %s\n", label, got ? "true" : "false");
	if (got != want)
		fail("%s: got %s, expected %s", label, got ? "true" : "false", want ? "true" : "false");
}

static inline void expect_long(const char *label, long got, long want)
{
	printf("%s: %ld\n", label, got);
	if (got != want)
		fail("%s: got %ld, expected %ld", label, got, want);
}

#endif
