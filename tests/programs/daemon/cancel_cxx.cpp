/* daemon_cancel_cxx: pthread_exit and pthread_cancel unwind C++ frames.
 *
 * glibc implements pthread_exit and acted-on cancellation as a forced unwind
 * (abi::__forced_unwind): destructors of every frame run, innermost first, and a
 * catch (abi::__forced_unwind&) block sees it and must rethrow. A green runtime that
 * parks a thread in read() must still deliver the cancel as that unwind on the thread's
 * own stack. The C++ exception state (the caught-exception stack, uncaught count) must
 * also stay per thread across a park (DESIGN.md rule 5). This program pins down:
 *   1. pthread_exit five frames deep: destructors in order, the forced unwind seen by a
 *      catch block that rethrows, the exit value;
 *   2. pthread_cancel of a thread blocked 400 ms in read(), in a frame with RAII guards;
 *   3. two threads each blocked 400 ms inside their own catch block, then rethrowing:
 *      each still sees its own exception; a destructor that blocks during unwinding
 *      sees std::uncaught_exceptions() == 1.
 */
#include "check.h"
#include "ticker.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

static std::mutex log_mu;
static std::string log_str;

static void log_ev(const std::string &s)
{
	std::lock_guard<std::mutex> g(log_mu);
	if (!log_str.empty())
		log_str += ' ';
	log_str += s;
}

static std::string take_log()
{
	std::lock_guard<std::mutex> g(log_mu);
	std::string s;
	s.swap(log_str);
	return s;
}

struct Guard {
	std::string name;
	explicit Guard(std::string n) : name(std::move(n)) {}
	~Guard() { log_ev("~" + name); }
};

/* ---- 1. pthread_exit deep in a call chain ---- */

static volatile int exit_at_bottom = 1;

static void level(int n)
{
	Guard g("frame" + std::to_string(n));
	if (n == 3) {
		try {
			level(n + 1);
		} catch (abi::__forced_unwind &) {
			log_ev("catch-forced-unwind-at-3");
			throw;
		}
	} else if (n < 5) {
		level(n + 1);
	} else if (exit_at_bottom) {
		log_ev("pthread_exit-at-5");
		pthread_exit(reinterpret_cast<void *>(42L));
	}
}

static void *deep(void *)
{
	level(1);
	return nullptr;
}

/* ---- 2. cancel while blocked in read ---- */

static int pfd[2];

static void *blocked_reader(void *)
{
	Guard outer("outer");
	try {
		Guard inner("inner");
		char buf[8];
		ssize_t r = read(pfd[0], buf, sizeof buf);
		log_ev("NOT-CANCELLED read=" + std::to_string(r));
	} catch (abi::__forced_unwind &) {
		log_ev("catch-forced-unwind");
		throw;
	}
	return nullptr;
}

/* ---- 3. exception state across a blocking call ---- */

static int gate[2];

static void block_400ms()
{
	char c;
	if (read(gate[0], &c, 1) != 1)
		log_ev("gate-read-failed");
}

struct BlockingDtor {
	int *seen;
	~BlockingDtor()
	{
		block_400ms();
		*seen = std::uncaught_exceptions();
	}
};

struct ExcResult {
	std::string what, rethrown;
	int uncaught_in_dtor = -1;
};

static void *exc_thread(void *arg)
{
	auto *res = static_cast<ExcResult *>(arg);
	try {
		throw std::runtime_error(res->what);
	} catch (const std::exception &) {
		block_400ms();
		try {
			throw;
		} catch (const std::exception &e2) {
			res->rethrown = e2.what();
		}
	}
	try {
		BlockingDtor d{ &res->uncaught_in_dtor };
		throw std::runtime_error("unwinding");
	} catch (const std::exception &) {
	}
	return nullptr;
}

int main()
{
	setvbuf(stdout, nullptr, _IOLBF, 0);
	ticker_start();

	pthread_t t;
	void *ret = nullptr;
	pthread_create(&t, nullptr, deep, nullptr);
	pthread_join(t, &ret);
	printf("pthread_exit: %s\n", take_log().c_str());
	printf("pthread_exit: join value %ld\n", reinterpret_cast<long>(ret));

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return 1;
	pthread_create(&t, nullptr, blocked_reader, nullptr);
	std::this_thread::sleep_for(std::chrono::milliseconds(400));
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancel in read: join %s, log: %s\n",
	       ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", take_log().c_str());

	if (pipe2(gate, O_CLOEXEC) != 0)
		return 1;
	ExcResult a, b;
	a.what = "exception of thread A";
	b.what = "exception of thread B";
	pthread_t ta, tb;
	pthread_create(&ta, nullptr, exc_thread, &a);
	pthread_create(&tb, nullptr, exc_thread, &b);
	for (int i = 0; i < 4; i++) {
		std::this_thread::sleep_for(std::chrono::milliseconds(i % 2 ? 50 : 400));
		if (write(gate[1], "x", 1) != 1)
			FAIL("gate write");
	}
	pthread_join(ta, nullptr);
	pthread_join(tb, nullptr);
	for (const ExcResult *r : { &a, &b }) {
		printf("catch block across a blocking read: rethrew '%s' (own: %s), "
		       "uncaught_exceptions in a blocking destructor: %d\n",
		       r->rethrown.c_str(), r->rethrown == r->what ? "yes" : "no", r->uncaught_in_dtor);
		if (r->rethrown != r->what)
			FAIL("a thread saw another thread's exception");
	}
	std::string stray = take_log();
	if (!stray.empty())
		FAIL("unexpected log: %s", stray.c_str());
	ticker_stop();
	return check_status();
}
