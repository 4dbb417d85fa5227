/* sigcount.h: a signal handler that only counts, for the tests that check
 * which calls a handled signal interrupts (io/connect_signal.c,
 * sync/sem_signal.c). Header-only, C gnu11.
 *
 * sigcount_install(sig, flags) installs the counting handler for sig with
 * sa_flags (0 or SA_RESTART); sigcount_handled counts the deliveries since
 * the test last reset it.
 */
#ifndef TESTS_SIGCOUNT_H
#define TESTS_SIGCOUNT_H

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t sigcount_handled;

static void sigcount_handler(int sig)
{
	(void)sig;
	sigcount_handled++;
}

static inline void sigcount_install(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sigcount_handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

#endif
