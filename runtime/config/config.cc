#include "config/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <unistd.h>

#include <fcntl.h>

#include "os/check.h"
#include "os/sys.h"

namespace green {

// Written once by config_load() before any green thread. A function-local
// static: the shim's constructor runs before ordinary globals are built.
static Config& the_config() {
  static Config c;
  return c;
}

const Config& config() { return the_config(); }

// "64K", "1M", "262144" -> bytes; false on junk or overflow.
static bool parse_size(const char* s, size_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return false;
  unsigned long long mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1ULL << 10, end++;
  else if (*end == 'M' || *end == 'm') mul = 1ULL << 20, end++;
  else if (*end == 'G' || *end == 'g') mul = 1ULL << 30, end++;
  if (*end == 'i' || *end == 'B') end++;
  if (*end == 'B') end++;
  if (*end != '\0') return false;
  *out = v * mul;
  return true;
}

static bool parse_int(const char* s, long lo, long hi, int* out) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

static std::string invalid(const char* name, const char* value, const char* allowed) {
  return std::string("libgreen: ") + name + "='" + value + "' is invalid: " + allowed;
}

static std::string parse_stack_size(Config* c) {
  const char* v = getenv("GREEN_STACK_SIZE");
  if (!v) return "";
  size_t n = 0;
  const char* allowed = "expected a size in bytes with an optional K, M or G suffix, from 16K to 1G";
  if (!parse_size(v, &n) || n < 16 * 1024 || n > (1ULL << 30))
    return invalid("GREEN_STACK_SIZE", v, allowed);
  long page = sysconf(_SC_PAGESIZE);
  c->stack_size = (n + page - 1) / page * page;
  return "";
}

static std::string parse_int_var(const char* name, long lo, long hi, const char* allowed, int* out) {
  const char* v = getenv(name);
  if (!v) return "";
  if (!parse_int(v, lo, hi, out)) return invalid(name, v, allowed);
  return "";
}

// A small file's text, or "" (read with the instruction: config runs
// before the real libc functions are known, and tests/layout forbids the
// runtime libc's interposed ones).
static std::string read_small(const std::string& path) {
  int fd = sys::openat(AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[4096];
  long n = sys::read(fd, buf, sizeof buf - 1);
  sys::close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// ceil(quota / period) from two numbers as text; 0 for "max", -1 or junk.
static int cpus_of(const std::string& quota, const std::string& period) {
  char* end = nullptr;
  long long q = strtoll(quota.c_str(), &end, 10);
  if (end == quota.c_str() || q <= 0) return 0;
  long long p = strtoll(period.c_str(), &end, 10);
  if (end == period.c_str() || p <= 0) return 0;
  long long n = (q + p - 1) / p;
  return n > 256 ? 256 : static_cast<int>(n);
}

// The path of this process's cgroup for controller (v1), or the unified
// one (v2: controller ""), from /proc/self/cgroup's text.
static bool cgroup_path(const std::string& text, const std::string& controller, std::string* out) {
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(at, nl - at);
    at = nl + 1;
    size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string ctrls = "," + line.substr(c1 + 1, c2 - c1 - 1) + ",";
    bool match = controller.empty() ? line.compare(0, c1 + 2, "0::") == 0 && c2 == c1 + 1
                                    : ctrls.find("," + controller + ",") != std::string::npos;
    if (!match) continue;
    *out = line.substr(c2 + 1);
    return true;
  }
  return false;
}

int cgroup_cpu_limit(const char* fs_root, const char* proc_cgroup) {
  std::string text = read_small(proc_cgroup), path, root(fs_root);
  int least = 0;
  auto take = [&](int n) {
    if (n > 0 && (least == 0 || n < least)) least = n;
  };
  if (cgroup_path(text, "", &path)) {  // v2: cpu.max "QUOTA PERIOD" or "max PERIOD", up the tree
    for (std::string dir = path;; dir = dir.substr(0, dir.rfind('/'))) {
      std::string max = read_small(root + dir + "/cpu.max");
      size_t sp = max.find(' ');
      if (sp != std::string::npos) take(cpus_of(max.substr(0, sp), max.substr(sp + 1)));
      if (dir.empty() || dir == "/") break;
    }
  }
  if (cgroup_path(text, "cpu", &path)) {  // v1 (a hybrid system has both)
    for (const char* mount : {"/cpu,cpuacct", "/cpu"}) {
      std::string dir = root + mount + (path == "/" ? "" : path);
      take(cpus_of(read_small(dir + "/cpu.cfs_quota_us"), read_small(dir + "/cpu.cfs_period_us")));
      if (least) break;
    }
  }
  return least;
}

// The CPUs this process may use: its affinity mask, capped by its cgroup's
// CPU bandwidth limit (containers: docker --cpus), 1..256.
int auto_hubs() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  int limit = cgroup_cpu_limit("/sys/fs/cgroup", "/proc/self/cgroup");
  if (limit > 0 && limit < n) n = limit;
  return n < 1 ? 1 : n > 256 ? 256 : n;
}

// GREEN_HUBS: a number, or "auto" for one hub per CPU of the affinity mask.
static std::string parse_hubs(Config* c) {
  const char* v = getenv("GREEN_HUBS");
  if (!v || strcmp(v, "auto") == 0) {
    c->hubs = auto_hubs();
    return "";
  }
  return parse_int_var("GREEN_HUBS", 1, 256, "expected a number of hubs from 1 to 256, or auto", &c->hubs);
}

static std::string parse_native(Config* c) {
  const char* v = getenv("GREEN_NATIVE");
  if (!v || !*v) return "";
  std::string all(v);
  size_t start = 0;
  while (start <= all.size()) {
    size_t comma = all.find(',', start);
    if (comma == std::string::npos) comma = all.size();
    std::string name = all.substr(start, comma - start);
    if (name.empty())
      return invalid("GREEN_NATIVE", v, "expected a comma-separated list of function names");
    c->native.push_back(name);
    start = comma + 1;
  }
  return "";
}

static std::string parse_stats(Config* c) {
  int v = 0;
  std::string err = parse_int_var("GREEN_STATS", 0, 1, "expected 0 or 1", &v);
  if (err.empty()) c->stats = v == 1;
  return err;
}

static std::string parse_steal(Config* c) {
  int v = 0;
  std::string err = parse_int_var("GREEN_STEAL", 0, 1, "expected 0 or 1", &v);
  if (err.empty()) c->steal = v == 1;
  return err;
}

static std::string parse_debug(Config* c) {
  int v = 0;
  std::string err = parse_int_var("GREEN_DEBUG", 0, 1, "expected 0 or 1", &v);
  if (err.empty()) c->debug = v == 1;
  return err;
}

static std::string parse_inherit(Config* c) {
  int v = 1;
  std::string err = parse_int_var("GREEN_INHERIT", 0, 1, "expected 0 or 1", &v);
  c->inherit = v != 0;
  return err;
}

std::string config_parse(Config* c) {
  *c = Config{};
  std::string err;
  if (!(err = parse_stack_size(c)).empty()) return err;
  if (!(err = parse_hubs(c)).empty()) return err;
  if (!(err = parse_int_var("GREEN_MONITOR_MS", 0, 3600000, "expected milliseconds from 0 (off) to 3600000", &c->monitor_ms)).empty()) return err;
  c->watchdog = getenv("GREEN_MONITOR_MS") == nullptr;
  if (!(err = parse_int_var("GREEN_HANDOFF_MS", 0, 3600000, "expected milliseconds from 0 (off) to 3600000", &c->handoff_ms)).empty()) return err;
  if (!(err = parse_native(c)).empty()) return err;
  if (!(err = parse_inherit(c)).empty()) return err;
  if (!(err = parse_stats(c)).empty()) return err;
  if (!(err = parse_steal(c)).empty()) return err;
  if (!(err = parse_debug(c)).empty()) return err;
  return "";
}

void config_load() {
  static bool loaded = false;  // first call is at start-up, single-threaded
  if (loaded) return;
  loaded = true;
  std::string err = config_parse(&the_config());
  if (err.empty()) return;
  report("%s", err.c_str());
  _exit(2);
}

}  // namespace green
