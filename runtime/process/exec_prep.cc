// exec_prep.cc: see exec_prep.h.
#include "process/exec_prep.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "glibc/real.h"
#include "sched/machine.h"
#include "sched/passthrough.h"
#include "config/config.h"
#include "io/fd_state.h"
#include "green.h"
#include "signal/masks.h"

namespace green {

namespace {

constexpr size_t kMaxFds = 1 << 20;  // fd_table's size
char g_self[256];                    // libgreen's file name (basename), set at start-up

size_t fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > kMaxFds) return kMaxFds;
  return rl.rlim_cur;
}

// Listeners the program sees as blocking and the new program would keep.
void set_listeners_nonblocking(bool on) {
  size_t n = fd_limit();
  for (size_t fd = 0; fd < n; fd++) {
    if (fd_peek(static_cast<int>(fd)).view() != ListenerView::kBlocking) continue;
    int fdfl = REAL(fcntl)(static_cast<int>(fd), F_GETFD, 0);
    int fl = REAL(fcntl)(static_cast<int>(fd), F_GETFL, 0);
    if (fdfl < 0 || (fdfl & FD_CLOEXEC) || fl < 0) continue;
    REAL(fcntl)(static_cast<int>(fd), F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
  }
}

const char* base_name(const char* path, size_t len) {
  const char* b = path;
  for (size_t i = 0; i < len; i++)
    if (path[i] == '/') b = path + i + 1;
  return b;
}

bool is_self(const char* entry, size_t len) {
  const char* b = base_name(entry, len);
  size_t blen = len - static_cast<size_t>(b - entry);
  return g_self[0] && blen == strlen(g_self) && memcmp(b, g_self, blen) == 0;
}

bool is_preload(const char* e) { return strncmp(e, "LD_PRELOAD=", 11) == 0; }

// Appends LD_PRELOAD's value without libgreen's entries (ld.so separates
// them by spaces or colons) to out; returns the length written.
size_t strip_self(const char* value, char* out) {
  size_t n = 0;
  for (const char* p = value; *p;) {
    size_t len = strcspn(p, ": ");
    if (len && !is_self(p, len)) {
      if (n) out[n++] = ':';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
    if (*p) p++;
  }
  out[n] = '\0';
  return n;
}

}  // namespace

void exec_prep_init() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&exec_prep_init), &info) == 0 || !info.dli_fname) return;
  const char* b = base_name(info.dli_fname, strlen(info.dli_fname));
  strncpy(g_self, b, sizeof g_self - 1);
}

ExecPrep::ExecPrep(char* const* envp) : envp_(envp) {
  int saved = errno;
  probes_pause();  // a pending probe would kill the new program (sched/handoff.cc)
  set_listeners_nonblocking(false);
  if (green::Green* g = green::current()) {
    sigset_t mask = green_mask(g);
    mask_set_ = REAL(pthread_sigmask)(SIG_SETMASK, &mask, &old_mask_) == 0;
  }
  size_t count = 0, bytes = 0;
  const char* preload = nullptr;
  for (; envp && envp[count]; count++)
    if (is_preload(envp[count])) preload = envp[count], bytes = strlen(preload) + 1;
  if (green::config().inherit || !preload) {
    errno = saved;
    return;
  }
  block_size_ = (count + 1) * sizeof(char*) + bytes;
  void* m = mmap(nullptr, block_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m != MAP_FAILED) {
    block_ = m;
    auto out = static_cast<char**>(m);
    char* value = reinterpret_cast<char*>(out + count + 1);
    memcpy(value, "LD_PRELOAD=", 11);
    bool keep = strip_self(preload + 11, value + 11) > 0;
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
      if (!is_preload(envp[i])) out[k++] = envp[i];
      else if (keep && envp[i] == preload) out[k++] = value;
    out[k] = nullptr;
    envp_ = out;
  }
  errno = saved;
}

ExecPrep::~ExecPrep() {
  int saved = errno;
  set_listeners_nonblocking(true);
  if (mask_set_) REAL(pthread_sigmask)(SIG_SETMASK, &old_mask_, nullptr);
  if (block_) munmap(block_, block_size_);
  probes_resume();
  errno = saved;
}

}  // namespace green
