/* spin.c: pthread spin locks under contention, with a holder that sleeps.
 *
 * pthread_spin_lock(3): busy-waits until the lock is free; pthread_spin_trylock
 * returns EBUSY when held. glibc's spin lock is a pure user-space atomic loop
 * (no futex), so under libgreen a spinning green thread must yield to the
 * hub or the holder (a green thread on the same OS thread) never runs again.
 * Pins down:
 *   - 4 threads x 20000 increments under one spin lock: the exact total;
 *   - a holder that takes the lock and sleeps 50 ms (5 rounds) while another
 *     thread spins in pthread_spin_lock: the spinner gets the lock only after
 *     the holder released it, every round;
 *   - trylock EBUSY while held, 0 when free, for both PRIVATE and SHARED.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 4
#define INCREMENTS 20000
#define SLEEPY_ROUNDS 5

static pthread_spinlock_t lock;
static long counter;

static void *incrementer(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_spin_lock(&lock);
		counter++;
		pthread_spin_unlock(&lock);
	}
	return NULL;
}

static pthread_spinlock_t sleepy;
static int holder_has_it;
static int released;
static int spinner_early;
static int spinner_got;

static void *holder(void *arg)
{
	(void)arg;
	for (int r = 0; r < SLEEPY_ROUNDS; r++) {
		pthread_spin_lock(&sleepy);
		__atomic_store_n(&released, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&holder_has_it, r + 1, __ATOMIC_SEQ_CST);
		sleep_ms(50);
		__atomic_store_n(&released, 1, __ATOMIC_SEQ_CST);
		pthread_spin_unlock(&sleepy);
		while (__atomic_load_n(&spinner_got, __ATOMIC_SEQ_CST) != r + 1)
			sleep_ms(1);
	}
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	for (int r = 0; r < SLEEPY_ROUNDS; r++) {
		while (__atomic_load_n(&holder_has_it, __ATOMIC_SEQ_CST) != r + 1)
			sleep_ms(1);
		pthread_spin_lock(&sleepy);
		if (!__atomic_load_n(&released, __ATOMIC_SEQ_CST))
			spinner_early++;
		pthread_spin_unlock(&sleepy);
		__atomic_store_n(&spinner_got, r + 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void trylock_codes(const char *name, int pshared)
{
	pthread_spinlock_t s;
	char label[96];
	snprintf(label, sizeof label, "%s: pthread_spin_init", name);
	expect(label, pthread_spin_init(&s, pshared), 0);
	snprintf(label, sizeof label, "%s: trylock free", name);
	expect(label, pthread_spin_trylock(&s), 0);
	snprintf(label, sizeof label, "%s: trylock held", name);
	expect(label, pthread_spin_trylock(&s), EBUSY);
	snprintf(label, sizeof label, "%s: unlock", name);
	expect(label, pthread_spin_unlock(&s), 0);
	snprintf(label, sizeof label, "%s: lock", name);
	expect(label, pthread_spin_lock(&s), 0);
	pthread_spin_unlock(&s);
	snprintf(label, sizeof label, "%s: destroy", name);
	expect(label, pthread_spin_destroy(&s), 0);
}

int main(void)
{
	check_init(30);
	ticker_start();
	trylock_codes("private", PTHREAD_PROCESS_PRIVATE);
	trylock_codes("shared", PTHREAD_PROCESS_SHARED);

	pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, incrementer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	printf("counter: %ld\n", counter);
	if (counter != (long)THREADS * INCREMENTS)
		FAIL("counter %ld, expected %ld", counter, (long)THREADS * INCREMENTS);
	pthread_spin_destroy(&lock);

	pthread_spin_init(&sleepy, PTHREAD_PROCESS_PRIVATE);
	pthread_t h, s;
	pthread_create(&s, NULL, spinner, NULL);
	pthread_create(&h, NULL, holder, NULL);
	pthread_join(h, NULL);
	pthread_join(s, NULL);
	printf("sleepy-holder rounds won by the spinner: %d, before release: %d\n", spinner_got, spinner_early);
	if (spinner_got != SLEEPY_ROUNDS || spinner_early)
		FAIL("spinner rounds %d, early %d", spinner_got, spinner_early);
	pthread_spin_destroy(&sleepy);
	ticker_stop();
	return check_status();
}
