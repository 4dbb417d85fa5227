/* watchdog_target.c: stalls for tests/tools/watchdog_test.py. Knows nothing
 * of libgreen. A second thread ticks every 10 ms meanwhile.
 *   spin MS [N]  compute for MS milliseconds, N times (default 1) with
 *                20 ms sleeps between
 *   rawread MS   a raw read(2) system call (syscall(SYS_read)) on an empty
 *                pipe that a child process writes after MS milliseconds
 * Prints "done" and exits 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static atomic_int stop;

/* Exported (the executable is linked -rdynamic) so GREEN_NATIVE=ticker can
 * name it: tests/tools/debug_test.py. */
void* ticker(void* arg);
void* ticker(void* arg) {
  (void)arg;
  while (!stop) usleep(10000);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int ms = atoi(argv[2]);
  int times = argc > 3 ? atoi(argv[3]) : 1;
  pthread_t t;
  pthread_create(&t, NULL, ticker, NULL);
  usleep(50000);
  if (strcmp(argv[1], "spin") == 0) {
    volatile unsigned long x = 0;
    for (int i = 0; i < times; i++) {
      long end = now_ms() + ms;
      while (now_ms() < end) x++;
      usleep(20000);
    }
  } else {
    int p[2];
    if (pipe(p) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      usleep(ms * 1000);
      if (write(p[1], "x", 1) != 1) _exit(1);
      _exit(0);
    }
    char c;
    long n = syscall(SYS_read, p[0], &c, 1);
    waitpid(pid, NULL, 0);
    if (n != 1) return 1;
  }
  stop = 1;
  pthread_join(t, NULL);
  printf("done\n");
  return 0;
}
