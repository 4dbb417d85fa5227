/* stats_target.c: a small threaded program for tests/tools/stats_test.py.
 * Knows nothing of libgreen. Threads: "acceptor" blocked in accept() on a
 * loopback listener, "cond-waiter" blocked in pthread_cond_wait(); the main
 * thread reads commands from stdin:
 *   spawn N   start N threads named "sleeper" that sleep until quit
 *   quit      wake everyone and exit 0
 * and answers each with a line ("ready", "spawned N", ...). */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int quitting;

static void* acceptor(void* arg) {
  int fd = *(int*)arg;
  int c = accept(fd, NULL, NULL);
  if (c >= 0) close(c);
  return NULL;
}

static void* waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  while (!quitting) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    int q = quitting;
    pthread_mutex_unlock(&lock);
    if (q) return NULL;
    usleep(20000);
  }
}

static pthread_t start(void* (*fn)(void*), void* arg, const char* name) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, arg) != 0) {
    perror("pthread_create");
    exit(1);
  }
  pthread_setname_np(t, name);
  return t;
}

int main(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, 8) != 0) {
    perror("listener");
    return 1;
  }
  pthread_t threads[1000];
  int n = 0;
  threads[n++] = start(acceptor, &fd, "acceptor");
  threads[n++] = start(waiter, NULL, "cond-waiter");
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    int k;
    if (sscanf(line, "spawn %d", &k) == 1 && k > 0 && n + k <= 1000) {
      for (int i = 0; i < k; i++) threads[n++] = start(sleeper, NULL, "sleeper");
      printf("spawned %d\n", k);
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    }
  }
  pthread_mutex_lock(&lock);
  quitting = 1;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr*)&a, &len);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, sizeof a);
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  close(c);
  printf("bye\n");
  return 0;
}
