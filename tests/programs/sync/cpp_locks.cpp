// cpp_locks.cpp: C++ standard mutexes and condition variables.
//
// libstdc++ (GCC 12) maps these onto pthreads: std::mutex/recursive_mutex on
// pthread_mutex_*, std::timed_mutex::try_lock_for on pthread_mutex_clocklock
// (steady_clock), std::condition_variable::wait_for on pthread_cond_clockwait,
// std::condition_variable_any on a shared_ptr<mutex> + condition_variable,
// std::shared_mutex on pthread_rwlock_*. Pins down ([thread.mutex],
// [thread.condition], [thread.sharedmutex]):
//   - mutex/recursive_mutex mutual exclusion with exact counts; try_lock false
//     from another thread while held; recursive_mutex relocks by its owner;
//   - timed_mutex::try_lock_for / try_lock_until false after really waiting
//     while another thread holds it, true once released;
//   - condition_variable::wait_for with a predicate: false on timeout (pred
//     still false), true when notified with the predicate made true by a
//     thread that first sleeps 400 ms (longer than the ticker limit);
//   - condition_variable_any over std::unique_lock<std::shared_mutex>;
//   - shared_mutex: many shared owners at once, exclusive excludes all,
//     try_lock_shared false while exclusively held.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "check.h"
#include "clock.h"
#include "ticker.h"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

static long ms_since(Clock::time_point t0)
{
	return (long)std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

static void mutexes()
{
	std::printf("-- mutex, recursive_mutex\n");
	std::mutex m;
	long counter = 0;
	std::vector<std::thread> ts;
	for (int i = 0; i < 8; i++)
		ts.emplace_back([&] {
			for (int j = 0; j < 20000; j++) {
				std::lock_guard<std::mutex> g(m);
				counter++;
			}
		});
	for (auto &t : ts)
		t.join();
	expect_long("mutex counter", counter, 8 * 20000);

	m.lock();
	bool other_try = true;
	std::thread([&] { other_try = m.try_lock(); }).join();
	m.unlock();
	expect_bool("mutex try_lock from another thread while held", other_try, false);

	std::recursive_mutex rm;
	rm.lock();
	expect_bool("recursive_mutex try_lock by owner", rm.try_lock(), true);
	rm.lock();
	std::thread([&] { other_try = rm.try_lock(); }).join();
	expect_bool("recursive_mutex try_lock from another thread", other_try, false);
	rm.unlock();
	rm.unlock();
	std::thread([&] { other_try = rm.try_lock(); }).join();
	expect_bool("recursive_mutex try_lock from another thread, still held once", other_try, false);
	rm.unlock();
	std::thread([&] {
		other_try = rm.try_lock();
		if (other_try)
			rm.unlock();
	}).join();
	expect_bool("recursive_mutex try_lock from another thread after release", other_try, true);
}

static void timed()
{
	std::printf("-- timed_mutex\n");
	std::timed_mutex tm;
	tm.lock();
	bool got = true;
	long waited = 0;
	std::thread([&] {
		auto t0 = Clock::now();
		got = tm.try_lock_for(60ms);
		waited = ms_since(t0);
	}).join();
	expect_bool("try_lock_for 60 ms while held", got, false);
	if (waited < 55)
		FAIL("try_lock_for gave up after %ld ms", waited);
	std::thread([&] {
		auto t0 = Clock::now();
		got = tm.try_lock_until(std::chrono::system_clock::now() + 60ms);
		waited = ms_since(t0);
	}).join();
	expect_bool("try_lock_until system_clock +60 ms while held", got, false);
	if (waited < 55)
		FAIL("try_lock_until gave up after %ld ms", waited);

	tm.unlock();

	std::atomic<bool> held{ false };
	std::thread holder([&] {
		tm.lock();
		held = true;
		std::this_thread::sleep_for(350ms);
		tm.unlock();
	});
	for (int i = 0; i < 5000 && !held; i++)
		std::this_thread::sleep_for(1ms);
	got = tm.try_lock_for(5s);
	if (got)
		tm.unlock();
	holder.join();
	expect_bool("try_lock_for 5 s, released after 350 ms", got, true);
}

static void condvars()
{
	std::printf("-- condition_variable\n");
	std::mutex m;
	std::condition_variable cv;
	bool ready = false;
	{
		std::unique_lock<std::mutex> lk(m);
		auto t0 = Clock::now();
		bool r = cv.wait_for(lk, 60ms, [&] { return ready; });
		expect_bool("wait_for 60 ms with false predicate", r, false);
		if (ms_since(t0) < 55)
			FAIL("wait_for returned after %ld ms", ms_since(t0));
		expect_bool("wait_until past time point", cv.wait_until(lk, Clock::now() - 1s) == std::cv_status::timeout, true);
	}
	std::thread setter([&] {
		std::this_thread::sleep_for(400ms);
		{
			std::lock_guard<std::mutex> g(m);
			ready = true;
		}
		cv.notify_one();
	});
	{
		std::unique_lock<std::mutex> lk(m);
		bool r = cv.wait_for(lk, 5s, [&] { return ready; });
		expect_bool("wait_for 5 s, notified after 400 ms", r, true);
	}
	setter.join();

	int produced = 0, consumed = 0;
	std::vector<std::thread> consumers;
	std::mutex qm;
	std::condition_variable qcv;
	int queue = 0;
	bool closed = false;
	for (int i = 0; i < 4; i++)
		consumers.emplace_back([&] {
			std::unique_lock<std::mutex> lk(qm);
			for (;;) {
				qcv.wait(lk, [&] { return queue > 0 || closed; });
				if (queue == 0)
					return;
				queue--;
				consumed++;
			}
		});
	for (int i = 0; i < 2000; i++) {
		{
			std::lock_guard<std::mutex> g(qm);
			queue++;
			produced++;
		}
		qcv.notify_one();
	}
	{
		std::lock_guard<std::mutex> g(qm);
		closed = true;
	}
	qcv.notify_all();
	for (auto &t : consumers)
		t.join();
	expect_long("items consumed", consumed, produced);
}

static void cv_any_and_shared()
{
	std::printf("-- condition_variable_any, shared_mutex\n");
	std::shared_mutex sm;
	std::condition_variable_any cva;
	int stage = 0;
	std::thread t([&] {
		std::this_thread::sleep_for(350ms);
		{
			std::unique_lock<std::shared_mutex> lk(sm);
			stage = 1;
		}
		cva.notify_all();
	});
	{
		std::unique_lock<std::shared_mutex> lk(sm);
		bool r = cva.wait_for(lk, 5s, [&] { return stage == 1; });
		expect_bool("condition_variable_any wait_for over shared_mutex", r, true);
	}
	t.join();
	{
		std::unique_lock<std::shared_mutex> lk(sm);
		bool r = cva.wait_for(lk, 60ms, [&] { return stage == 2; });
		expect_bool("condition_variable_any wait_for timeout", r, false);
	}

	std::atomic<int> inside{ 0 };
	std::atomic<bool> all_in{ false };
	std::vector<std::thread> readers;
	for (int i = 0; i < 4; i++)
		readers.emplace_back([&] {
			std::shared_lock<std::shared_mutex> lk(sm);
			++inside;
			for (int spins = 0; spins < 5000 && inside.load() < 4; spins++)
				std::this_thread::sleep_for(1ms);
			if (inside.load() == 4)
				all_in = true;
			std::this_thread::sleep_for(20ms);
			--inside;
		});
	for (auto &r : readers)
		r.join();
	expect_bool("4 shared owners at once", all_in.load(), true);

	sm.lock();
	bool got = true;
	std::thread([&] { got = sm.try_lock_shared(); }).join();
	expect_bool("try_lock_shared while exclusively held", got, false);
	std::thread([&] { got = sm.try_lock(); }).join();
	expect_bool("try_lock while exclusively held", got, false);
	sm.unlock();
	sm.lock_shared();
	std::thread([&] {
		got = sm.try_lock_shared();
		if (got)
			sm.unlock_shared();
	}).join();
	expect_bool("try_lock_shared while shared", got, true);
	std::thread([&] { got = sm.try_lock(); }).join();
	expect_bool("try_lock while shared", got, false);
	sm.unlock_shared();

	long writes = 0;
	bool torn = false;
	int a = 0, b = 0;
	std::vector<std::thread> ws;
	for (int i = 0; i < 3; i++)
		ws.emplace_back([&] {
			for (int j = 0; j < 2000; j++) {
				std::unique_lock<std::shared_mutex> lk(sm);
				a++;
				if (j % 64 == 0)
					std::this_thread::yield();
				b++;
				writes++;
			}
		});
	for (int i = 0; i < 3; i++)
		ws.emplace_back([&] {
			for (int j = 0; j < 2000; j++) {
				std::shared_lock<std::shared_mutex> lk(sm);
				if (a != b)
					torn = true;
			}
		});
	for (auto &w : ws)
		w.join();
	expect_long("exclusive writes", writes, 3 * 2000);
	expect_bool("a reader saw a torn update", torn, false);
}

int main()
{
	check_init(30);
	ticker_start();
	mutexes();
	timed();
	condvars();
	cv_any_and_shared();
	ticker_stop();
	return check_status();
}
