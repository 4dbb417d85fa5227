/*
 * micro_idle_threads: memory cost of an idle thread, the number that decides
 * how many connections a thread-per-connection daemon can hold. Creates N
 * (default 2000, argv[1]) threads with default attributes, each blocked in
 * read() on its own socketpair, and reports the growth of this process's
 * VmRSS and of the system's used memory (MemAvailable drop: kernel stacks,
 * page tables, task structs included) per thread. The socketpairs exist
 * before the baseline, so only the threads are counted. Natively a thread
 * costs its touched stack pages plus ~16 KiB of kernel stack; under
 * libgreen it costs its green stack's touched pages only.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "micro_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static int started;

static long read_kib(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0) {
            v = atol(line + klen);
            break;
        }
    }
    fclose(f);
    return v;
}

static void *idle(void *arg)
{
    int fd = (int)(long)arg;
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_signal(&all_started);
    pthread_mutex_unlock(&mu);
    char c;
    if (read(fd, &c, 1) != 1)
        micro_die("idle read");
    return NULL;
}

int main(int argc, char **argv)
{
    alarm(60);
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n <= 0)
        micro_die("bad thread count");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    int (*sp)[2] = calloc((size_t)n, sizeof *sp);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (!sp || !th)
        micro_die("calloc");
    for (int i = 0; i < n; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]) < 0)
            micro_die("socketpair (RLIMIT_NOFILE too low?)");

    struct timespec settle = { .tv_sec = 0, .tv_nsec = 200000000 };
    nanosleep(&settle, NULL);
    long rss0 = read_kib("/proc/self/status", "VmRSS:");
    long avail0 = read_kib("/proc/meminfo", "MemAvailable:");

    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, idle, (void *)(long)sp[i][1]) != 0)
            micro_die("pthread_create");
    pthread_mutex_lock(&mu);
    while (started < n)
        pthread_cond_wait(&all_started, &mu);
    pthread_mutex_unlock(&mu);
    nanosleep(&settle, NULL);
    long rss1 = read_kib("/proc/self/status", "VmRSS:");
    long avail1 = read_kib("/proc/meminfo", "MemAvailable:");

    for (int i = 0; i < n; i++)
        if (write(sp[i][0], "x", 1) != 1)
            micro_die("wake write");
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);

    micro_report("idle_thread_rss", (double)(rss1 - rss0) / n, "KiB/thread");
    micro_report("idle_thread_sysmem", (double)(avail0 - avail1) / n, "KiB/thread");
    return 0;
}
