// cpp_tls.cpp: C++ thread_local objects and their destructors, per thread.
//
// [basic.stc.thread]: a thread_local object is constructed in each thread
// that uses it and destroyed when that thread ends ([basic.start.term]:
// thread_local destructors run before the static ones, in the reverse order
// of construction). g++ registers each destructor with glibc's
// __cxa_thread_atexit_impl, which runs them newest first at thread end, before
// the thread's pthread_key destructors (glibc's start_thread), and in exit()
// for the calling thread only.
//
// Pins down:
//   - 16 threads each construct two thread_locals, park in between and after
//     (condvar, sleep), and see only their own objects;
//   - each thread's destructors run once, on that thread, newest first, with
//     its own values, also when a destructor parks (sleeps) meanwhile;
//   - a thread_local first used inside another's destructor is destroyed too;
//   - thread_local destructors run before pthread_key destructors;
//   - pthread_exit runs them;
//   - main's thread_local is destroyed at exit after main returns, before the
//     static destructors, and only main's.
#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "clock.h"
#include "ticker.h"

namespace {

std::mutex log_mu;
std::vector<std::string> logs[20];  // by thread index; main is 19

void note(int who, const std::string& what) {
  std::lock_guard<std::mutex> lock(log_mu);
  logs[who].push_back(what);
}

struct Tracked {
  int who = -1;
  char tag;
  explicit Tracked(char t) : tag(t) {}
  ~Tracked() {
    if (who >= 0) note(who, std::string("~") + tag + std::to_string(who));
  }
};

thread_local int t_index = -1;
thread_local Tracked t_first('A');
// Function-local: constructed at its first use, inside ~ParksInDestructor.
Tracked& late() {
  thread_local Tracked t_late('C');
  return t_late;
}

struct ParksInDestructor {
  volatile int used = 0;
  ~ParksInDestructor() {
    if (t_index < 0) return;
    sleep_ms(2);  // other threads run meanwhile
    late().who = t_index;  // first use here: constructed and registered now
    note(t_index, "~B" + std::to_string(t_index));
  }
};
thread_local ParksInDestructor t_second;

pthread_key_t key;
void key_destructor(void* p) { note(static_cast<int>(reinterpret_cast<long>(p)) - 1, "key"); }

std::mutex mu;
std::condition_variable cv;
int arrived = 0;

void body(int i, bool via_pthread_exit) {
  t_index = i;
  t_first.who = i;
  pthread_setspecific(key, reinterpret_cast<void*>(static_cast<long>(i) + 1));
  {
    std::unique_lock<std::mutex> lock(mu);
    arrived++;
    cv.notify_all();
    cv.wait(lock, [] { return arrived >= 16; });
  }
  t_second.used = 1;  // constructed now, after everyone's t_first
  sleep_ms(1);
  if (t_first.who != i || t_index != i) FAIL("thread %d sees another thread's thread_local", i);
  if (via_pthread_exit) pthread_exit(nullptr);
}

void* start(void* arg) {
  long i = reinterpret_cast<long>(arg);
  body(static_cast<int>(i), i % 4 == 3);
  return nullptr;
}

struct StaticTracker {
  ~StaticTracker() { printf("static destructor\n"); }
} static_tracker;

// Every thread constructs it (g++ initialises a file's thread_locals
// together); only main's says so when destroyed.
struct MainTls {
  int who = -1;
  ~MainTls() {
    if (who == 19) printf("main's thread_local destructor (t_index %d)\n", t_index);
  }
};
thread_local MainTls t_main;

}  // namespace

int main() {
  check_init(30);
  ticker_start();
  pthread_key_create(&key, key_destructor);
  std::vector<pthread_t> th(16);
  for (long i = 0; i < 16; i++) pthread_create(&th[i], nullptr, start, reinterpret_cast<void*>(i));
  for (auto& t : th) pthread_join(t, nullptr);
  for (int i = 0; i < 16; i++) {
    std::string line;
    for (auto& s : logs[i]) line += " " + s;
    printf("thread %d:%s\n", i, line.c_str());
  }
  t_index = 19;
  t_main.who = 19;
  ticker_stop();
  int rc = check_status();
  fflush(stdout);
  return rc;
}
