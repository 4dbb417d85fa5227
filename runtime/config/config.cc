#include "config/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <unistd.h>

#include "os/check.h"

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

// The CPUs this process may run on (its affinity mask), 1..256.
int auto_hubs() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n < 1 ? 1 : n > 256 ? 256 : n;
}

// GREEN_HUBS: a number, or "auto" for one hub per CPU of the affinity mask.
static std::string parse_hubs(Config* c) {
  const char* v = getenv("GREEN_HUBS");
  if (v && strcmp(v, "auto") == 0) {
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
  if (!(err = parse_int_var("GREEN_HANDOFF_MS", 0, 3600000, "expected milliseconds from 0 (off) to 3600000", &c->handoff_ms)).empty()) return err;
  if (!(err = parse_native(c)).empty()) return err;
  if (!(err = parse_inherit(c)).empty()) return err;
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
