// cpp_exceptions.cpp: each thread keeps its own exception state while it blocks.
//
// The C++ runtime keeps the caught-exception stack and the uncaught count per
// thread (__cxa_get_globals(), a thread-local in libstdc++). 16 threads each
// throw their own exception and then block on a mutex + condition variable
// (a rendezvous every thread must reach, the first one 400 ms late) at these
// points, and must afterwards still see their own state:
//   1. inside the catch block: e.what(), std::current_exception() rethrown,
//      std::uncaught_exceptions() == 0;
//   2. inside a nested try/catch within that catch block (the inner exception
//      is current), and again after it (the outer one is current again), then
//      `throw;` rethrows the outer one;
//   3. in a destructor running during stack unwinding:
//      std::uncaught_exceptions() == 1 before and after blocking, and the
//      exception that arrives at the catch block is still the thread's own;
//   4. exception_ptrs collected from all threads are rethrown by main.
// Under libgreen all 16 threads are green threads on one OS thread, so this
// fails unless the runtime swaps that per-thread exception state on switch.
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "clock.h"
#include "ticker.h"

using namespace std::chrono_literals;

constexpr int N = 16;

static std::mutex m;
static std::condition_variable cv;
static int arrived[8];

// Blocks until all N threads reached rendezvous point `point`.
static void rendezvous(int point, int id)
{
	if (id == 0 && point == 0)
		std::this_thread::sleep_for(400ms);
	std::unique_lock<std::mutex> lk(m);
	if (++arrived[point] == N)
		cv.notify_all();
	cv.wait(lk, [&] { return arrived[point] == N; });
}

static std::string own(const char *what, int id)
{
	return std::string(what) + " " + std::to_string(id);
}

static std::atomic<int> ok_catch{ 0 }, ok_nested{ 0 }, ok_after_nested{ 0 }, ok_rethrow{ 0 };
static std::atomic<int> ok_dtor{ 0 }, ok_unwound{ 0 };
static std::exception_ptr saved[N];

static bool current_is(const std::string &want)
{
	try {
		std::rethrow_exception(std::current_exception());
	} catch (const std::exception &e) {
		return want == e.what();
	} catch (...) {
	}
	return false;
}

struct BlockingGuard {
	int id;
	~BlockingGuard()
	{
		int before = std::uncaught_exceptions();
		rendezvous(4, id);
		int after = std::uncaught_exceptions();
		if (before == 1 && after == 1)
			++ok_dtor;
		else
			FAIL("thread %d: uncaught_exceptions in unwinding destructor %d then %d", id, before, after);
	}
};

static void body(int id)
{
	try {
		rendezvous(0, id);
		throw std::runtime_error(own("outer", id));
	} catch (const std::runtime_error &e) {
		const void *addr = &e;
		rendezvous(1, id);
		bool ok = own("outer", id) == e.what() && current_is(own("outer", id)) &&
			  std::uncaught_exceptions() == 0;
		try {
			std::rethrow_exception(std::current_exception());
		} catch (const std::runtime_error &again) {
			ok = ok && &again == addr;
		}
		if (ok)
			++ok_catch;
		else
			FAIL("thread %d: catch block lost its exception after blocking", id);

		try {
			throw std::logic_error(own("inner", id));
		} catch (const std::logic_error &inner) {
			rendezvous(2, id);
			if (own("inner", id) == inner.what() && current_is(own("inner", id)))
				++ok_nested;
			else
				FAIL("thread %d: nested catch lost its exception", id);
		}
		rendezvous(3, id);
		if (current_is(own("outer", id)) && own("outer", id) == e.what())
			++ok_after_nested;
		else
			FAIL("thread %d: outer exception not current after the nested catch", id);
		saved[id] = std::current_exception();
		try {
			throw;
		} catch (const std::runtime_error &re) {
			if (own("outer", id) == re.what())
				++ok_rethrow;
			else
				FAIL("thread %d: throw; rethrew %s", id, re.what());
		}
	}

	try {
		BlockingGuard g{ id };
		throw std::runtime_error(own("unwinding", id));
	} catch (const std::runtime_error &e) {
		rendezvous(5, id);
		if (own("unwinding", id) == e.what() && std::uncaught_exceptions() == 0)
			++ok_unwound;
		else
			FAIL("thread %d: after unwinding got %s", id, e.what());
	}
}

int main()
{
	check_init(30);
	ticker_start();
	std::vector<std::thread> ts;
	for (int i = 0; i < N; i++)
		ts.emplace_back(body, i);
	for (auto &t : ts)
		t.join();
	expect_long("threads whose catch block kept its exception", ok_catch.load(), N);
	expect_long("threads whose nested catch kept the inner exception", ok_nested.load(), N);
	expect_long("threads whose outer exception was current again", ok_after_nested.load(), N);
	expect_long("threads whose throw; rethrew their own", ok_rethrow.load(), N);
	expect_long("threads whose unwinding destructor saw uncaught_exceptions()==1", ok_dtor.load(), N);
	expect_long("threads that caught their own exception after unwinding", ok_unwound.load(), N);
	int saved_ok = 0;
	for (int i = 0; i < N; i++) {
		try {
			std::rethrow_exception(saved[i]);
		} catch (const std::runtime_error &e) {
			saved_ok += own("outer", i) == e.what();
		}
	}
	expect_long("saved exception_ptrs rethrown by main", saved_ok, N);
	expect_bool("main has no current exception", std::current_exception() == nullptr, true);
	ticker_stop();
	return check_status();
}
