// uv_placeholders.cc: what libuv's renamed references to glibc data point
// at inside libgreen.so (runtime/uv_hidden.sh says why). Only libuv code the
// runtime never calls reads them; if it ever did, it would see an empty
// environment, the IPv6 any-address and no stderr stream.
#include <netinet/in.h>
#include <cstdio>

extern "C" {
__attribute__((visibility("hidden"))) char** green_uv_environ = nullptr;
extern __attribute__((visibility("hidden"))) const struct in6_addr green_uv_in6addr_any = IN6ADDR_ANY_INIT;
__attribute__((visibility("hidden"))) FILE* green_uv_stderr = nullptr;
}
