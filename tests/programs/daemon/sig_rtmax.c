/* sig_rtmax.c: the program's own SIGRTMAX (which libgreen's monitor also
 * uses, as its probe) behaves as natively while probes fly: a thread
 * computes 300 ms at a time (the monitor probes its OS thread) while
 *   A  a handler counts raise(), sigqueue() with values, and pthread_kill()
 *      from another thread: every one arrives, each value intact;
 *   B  sigaction reports the program's own previous actions;
 *   C  a child with SIG_DFL that raises SIGRTMAX dies by it;
 *   D  a child with SIG_IGN survives it and exits 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static atomic_int got, bad_values;
static atomic_int stop;

static void on_rtmax(int sig, siginfo_t* info, void* uc) {
  (void)uc;
  if (sig != SIGRTMAX) return;
  if (info->si_code == SI_QUEUE && info->si_value.sival_int != 4242) bad_values++;
  got++;
}

static void* spinner(void* arg) {
  (void)arg;
  volatile unsigned long x = 0;
  while (!stop) {
    long end = now_ms() + 300;
    while (now_ms() < end && !stop) x++;
    usleep(1000);
  }
  return NULL;
}

static void* killer(void* arg) {
  pthread_t target = *(pthread_t*)arg;
  for (int i = 0; i < 20; i++) {
    pthread_kill(target, SIGRTMAX);
    usleep(5000);
  }
  return NULL;
}

static int child(void (*disposition)(int)) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGRTMAX, disposition);
    raise(SIGRTMAX);
    usleep(50000);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) printf("  child killed by %s\n", WTERMSIG(st) == SIGRTMAX ? "SIGRTMAX" : "another signal");
  else printf("  child exit %d\n", WEXITSTATUS(st));
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction old, sa = {0};
  sigaction(SIGRTMAX, NULL, &old);
  printf("B initial action is SIG_DFL: %s\n", old.sa_handler == SIG_DFL ? "yes" : "no");
  pthread_t spin;
  pthread_create(&spin, NULL, spinner, NULL);

  sa.sa_sigaction = on_rtmax;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGRTMAX, &sa, NULL);
  sigaction(SIGRTMAX, NULL, &old);
  printf("B our handler reported back: %s\n",
         (old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_rtmax ? "yes" : "no");
  for (int i = 0; i < 20; i++) raise(SIGRTMAX);
  union sigval v = {.sival_int = 4242};
  for (int i = 0; i < 20; i++) sigqueue(getpid(), SIGRTMAX, v);
  pthread_t self = pthread_self(), k;
  pthread_create(&k, NULL, killer, &self);
  pthread_join(k, NULL);
  long end = now_ms() + 5000;
  while (got < 60 && now_ms() < end) usleep(1000);
  usleep(100000);
  printf("A handled %d of 60, bad values %d\n", (int)got, (int)bad_values);

  signal(SIGRTMAX, SIG_DFL);
  printf("C SIG_DFL:\n");
  child(SIG_DFL);
  printf("D SIG_IGN:\n");
  child(SIG_IGN);
  stop = 1;
  pthread_join(spin, NULL);
  return 0;
}
