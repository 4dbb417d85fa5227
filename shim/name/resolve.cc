// resolve.cc: name-service lookups (hosts, addresses, users, groups).
//
// They go through NSS, which may read files, talk to nscd or systemd over a
// socket, query DNS with a timeout of seconds, or ask LDAP, all with glibc's
// internal I/O that no read() interposer sees. Each call runs on libuv's
// pool (offload_call.h) and the green thread parks until it returns; a call
// that cannot reach any source (getaddrinfo with numeric host and service,
// getnameinfo with NI_NUMERICHOST | NI_NUMERICSERV) runs inline.
//
// Where results live, as natively:
//   - the _r forms write into the caller's buffers, from the pool thread,
//     while the caller is parked: nothing else touches them meanwhile;
//   - the non-reentrant forms (gethostbyname, getpwnam, ...) return glibc's
//     buffer, which is one static buffer per function for the whole process
//     behind a lock (nss/getXXbyYY.c), not a per-thread one, so the pool
//     thread's call hands back the very pointer the caller's would, valid
//     until the next call of that function by any thread;
//   - errno and h_errno are per OS thread: the caller's values go to the
//     pool thread before the call and the pool thread's come back after it.
//     h_errno is not switched per green thread (errno is): a program that
//     parks between the failed lookup and reading h_errno may see another
//     green thread's value (README, limitations).
// The resolver's per-thread state (_res, res_init) of the calling thread is
// not the one the pool thread uses (README, limitations).
#include <grp.h>
#include <netdb.h>
#include <pwd.h>

#include "boundary.h"
#include "io/offload_call.h"

namespace {

// offload_call with h_errno carried both ways as well.
template <class F>
auto offload_h(F f) -> decltype(f()) {
  int herr = h_errno;
  auto r = green::offload_call([&] {
    h_errno = herr;
    auto x = f();
    herr = h_errno;
    return x;
  });
  h_errno = herr;
  return r;
}

bool numeric_only(const char* node, const char* service, const addrinfo* hints) {
  int fl = hints ? hints->ai_flags : 0;
  return (!node || (fl & AI_NUMERICHOST)) && (!service || (fl & AI_NUMERICSERV));
}

}  // namespace

GREEN_EXPORT int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  if (!green::intercepting() || numeric_only(node, service, hints))
    return REAL(getaddrinfo)(node, service, hints, res);
  return green::offload_call([&] { return REAL(getaddrinfo)(node, service, hints, res); });
}

GREEN_EXPORT int getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                             socklen_t servlen, int flags) {
  if (!green::intercepting() || (flags & (NI_NUMERICHOST | NI_NUMERICSERV)) == (NI_NUMERICHOST | NI_NUMERICSERV))
    return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
  return green::offload_call([&] { return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags); });
}

GREEN_EXPORT hostent* gethostbyname(const char* name) {
  if (!green::intercepting()) return REAL(gethostbyname)(name);
  return offload_h([&] { return REAL(gethostbyname)(name); });
}

GREEN_EXPORT hostent* gethostbyname2(const char* name, int af) {
  if (!green::intercepting()) return REAL(gethostbyname2)(name, af);
  return offload_h([&] { return REAL(gethostbyname2)(name, af); });
}

GREEN_EXPORT hostent* gethostbyaddr(const void* addr, socklen_t len, int type) {
  if (!green::intercepting()) return REAL(gethostbyaddr)(addr, len, type);
  return offload_h([&] { return REAL(gethostbyaddr)(addr, len, type); });
}

GREEN_EXPORT int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len, hostent** result,
                                 int* h_errnop) {
  if (!green::intercepting()) return REAL(gethostbyname_r)(name, ret, buf, len, result, h_errnop);
  return offload_h([&] { return REAL(gethostbyname_r)(name, ret, buf, len, result, h_errnop); });
}

GREEN_EXPORT int gethostbyname2_r(const char* name, int af, hostent* ret, char* buf, size_t len,
                                  hostent** result, int* h_errnop) {
  if (!green::intercepting()) return REAL(gethostbyname2_r)(name, af, ret, buf, len, result, h_errnop);
  return offload_h([&] { return REAL(gethostbyname2_r)(name, af, ret, buf, len, result, h_errnop); });
}

GREEN_EXPORT int gethostbyaddr_r(const void* addr, socklen_t alen, int type, hostent* ret, char* buf,
                                 size_t len, hostent** result, int* h_errnop) {
  if (!green::intercepting()) return REAL(gethostbyaddr_r)(addr, alen, type, ret, buf, len, result, h_errnop);
  return offload_h([&] { return REAL(gethostbyaddr_r)(addr, alen, type, ret, buf, len, result, h_errnop); });
}

GREEN_EXPORT passwd* getpwnam(const char* name) {
  if (!green::intercepting()) return REAL(getpwnam)(name);
  return green::offload_call([&] { return REAL(getpwnam)(name); });
}

GREEN_EXPORT passwd* getpwuid(uid_t uid) {
  if (!green::intercepting()) return REAL(getpwuid)(uid);
  return green::offload_call([&] { return REAL(getpwuid)(uid); });
}

GREEN_EXPORT int getpwnam_r(const char* name, passwd* pwd, char* buf, size_t len, passwd** result) {
  if (!green::intercepting()) return REAL(getpwnam_r)(name, pwd, buf, len, result);
  return green::offload_call([&] { return REAL(getpwnam_r)(name, pwd, buf, len, result); });
}

GREEN_EXPORT int getpwuid_r(uid_t uid, passwd* pwd, char* buf, size_t len, passwd** result) {
  if (!green::intercepting()) return REAL(getpwuid_r)(uid, pwd, buf, len, result);
  return green::offload_call([&] { return REAL(getpwuid_r)(uid, pwd, buf, len, result); });
}

GREEN_EXPORT group* getgrnam(const char* name) {
  if (!green::intercepting()) return REAL(getgrnam)(name);
  return green::offload_call([&] { return REAL(getgrnam)(name); });
}

GREEN_EXPORT group* getgrgid(gid_t gid) {
  if (!green::intercepting()) return REAL(getgrgid)(gid);
  return green::offload_call([&] { return REAL(getgrgid)(gid); });
}

GREEN_EXPORT int getgrnam_r(const char* name, group* grp, char* buf, size_t len, group** result) {
  if (!green::intercepting()) return REAL(getgrnam_r)(name, grp, buf, len, result);
  return green::offload_call([&] { return REAL(getgrnam_r)(name, grp, buf, len, result); });
}

GREEN_EXPORT int getgrgid_r(gid_t gid, group* grp, char* buf, size_t len, group** result) {
  if (!green::intercepting()) return REAL(getgrgid_r)(gid, grp, buf, len, result);
  return green::offload_call([&] { return REAL(getgrgid_r)(gid, grp, buf, len, result); });
}

GREEN_EXPORT int getgrouplist(const char* user, gid_t group, gid_t* groups, int* ngroups) {
  if (!green::intercepting()) return REAL(getgrouplist)(user, group, groups, ngroups);
  return green::offload_call([&] { return REAL(getgrouplist)(user, group, groups, ngroups); });
}

GREEN_EXPORT int initgroups(const char* user, gid_t group) {
  if (!green::intercepting()) return REAL(initgroups)(user, group);
  return green::offload_call([&] { return REAL(initgroups)(user, group); });
}
