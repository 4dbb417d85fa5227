// cpp_waits.cpp: C++20 counting_semaphore, latch, barrier and atomic wait/notify.
//
// In libstdc++ (GCC 12) all four sit on std::atomic wait, which on Linux is
// syscall(SYS_futex, FUTEX_WAIT_PRIVATE/FUTEX_WAKE_PRIVATE) after a short
// spin; timed semaphore waits use FUTEX_WAIT_BITSET with an absolute
// deadline. So under libgreen they reach libc only through syscall(), which
// must park. Pins down ([thread.sema], [thread.latch], [thread.barrier],
// [atomics.wait]):
//   - counting_semaphore: try_acquire false at 0, try_acquire_for false after
//     really waiting, release(n) admits n, at most N holders at once, and an
//     acquire blocked 400 ms (longer than the ticker limit) returns after a
//     release;
//   - latch: try_wait false until the count reaches 0, wait and
//     arrive_and_wait return only then;
//   - barrier: the completion function runs exactly once per phase, before
//     any thread of that phase continues; arrive_and_drop shrinks it;
//   - atomic<int>::wait returns only once the value changed; notify_one and
//     notify_all wake waiters (exact counts of returned waiters).
#include <barrier>
#include <chrono>
#include <latch>
#include <semaphore>
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

static void semaphores()
{
	std::printf("-- counting_semaphore\n");
	std::counting_semaphore<16> sem(0);
	expect_bool("try_acquire at 0", sem.try_acquire(), false);
	auto t0 = Clock::now();
	expect_bool("try_acquire_for 60 ms at 0", sem.try_acquire_for(60ms), false);
	if (ms_since(t0) < 55)
		FAIL("try_acquire_for gave up after %ld ms", ms_since(t0));
	expect_bool("try_acquire_until past at 0", sem.try_acquire_until(Clock::now() - 1s), false);
	sem.release(3);
	int got = 0;
	while (sem.try_acquire())
		got++;
	expect_long("acquired after release(3)", got, 3);

	std::thread poster([&] {
		std::this_thread::sleep_for(400ms);
		sem.release();
	});
	t0 = Clock::now();
	sem.acquire();
	fprintf(stderr, "acquire waited %ld ms\n", ms_since(t0));
	poster.join();
	std::printf("acquire blocked until release: ok\n");

	std::counting_semaphore<4> slots(4);
	std::atomic<int> inside{ 0 }, max_inside{ 0 }, total{ 0 };
	std::vector<std::thread> ts;
	for (int i = 0; i < 12; i++)
		ts.emplace_back([&] {
			for (int j = 0; j < 200; j++) {
				slots.acquire();
				int now = ++inside;
				int prev = max_inside.load();
				while (now > prev && !max_inside.compare_exchange_weak(prev, now))
					;
				if (j % 8 == 0)
					std::this_thread::yield();
				--inside;
				++total;
				slots.release();
			}
		});
	for (auto &t : ts)
		t.join();
	expect_long("semaphore-guarded sections", total.load(), 12 * 200);
	expect_bool("never more than 4 holders", max_inside.load() <= 4, true);
}

static void latches()
{
	std::printf("-- latch\n");
	std::latch done(5);
	std::atomic<int> finished{ 0 };
	std::vector<std::thread> ts;
	for (int i = 0; i < 5; i++)
		ts.emplace_back([&, i] {
			std::this_thread::sleep_for(std::chrono::milliseconds(i == 4 ? 400 : 10 * i));
			++finished;
			done.count_down();
		});
	expect_bool("try_wait before anyone counted down", done.try_wait(), false);
	done.wait();
	expect_long("workers finished when wait returned", finished.load(), 5);
	expect_bool("try_wait after", done.try_wait(), true);
	for (auto &t : ts)
		t.join();

	std::latch start(6);
	std::atomic<int> before{ 0 }, early{ 0 };
	ts.clear();
	for (int i = 0; i < 6; i++)
		ts.emplace_back([&] {
			++before;
			start.arrive_and_wait();
			if (before.load() != 6)
				++early;
		});
	for (auto &t : ts)
		t.join();
	expect_long("arrive_and_wait returned before all arrived", early.load(), 0);
}

static void barriers()
{
	std::printf("-- barrier\n");
	constexpr int threads = 6, phases = 100;
	static int completions[phases + 1];
	static int arrivals[phases + 1];
	std::atomic<int> phase{ 0 };
	std::atomic<int> bad{ 0 };
	auto on_completion = [&]() noexcept {
		int p = phase.load();
		completions[p]++;
		if (__atomic_load_n(&arrivals[p], __ATOMIC_SEQ_CST) != threads)
			++bad;
		phase.store(p + 1);
	};
	std::barrier bar(threads, on_completion);
	std::vector<std::thread> ts;
	for (int i = 0; i < threads; i++)
		ts.emplace_back([&, i] {
			for (int p = 0; p < phases; p++) {
				if (p == 2 && i == 0)
					std::this_thread::sleep_for(400ms);
				__atomic_fetch_add(&arrivals[p], 1, __ATOMIC_SEQ_CST);
				bar.arrive_and_wait();
				if (phase.load() != p + 1)
					++bad;
			}
		});
	for (auto &t : ts)
		t.join();
	int wrong = 0;
	for (int p = 0; p < phases; p++)
		if (completions[p] != 1)
			wrong++;
	expect_long("phases whose completion did not run exactly once", wrong, 0);
	expect_long("phase-order violations", bad.load(), 0);

	std::barrier shrinking(3);
	std::atomic<int> passes{ 0 };
	std::thread dropper([&] { shrinking.arrive_and_drop(); });
	std::thread a([&] {
		for (int i = 0; i < 10; i++) {
			shrinking.arrive_and_wait();
			++passes;
		}
	});
	for (int i = 0; i < 10; i++) {
		shrinking.arrive_and_wait();
		++passes;
	}
	a.join();
	dropper.join();
	expect_long("passes after arrive_and_drop", passes.load(), 20);
}

static void atomic_waits()
{
	std::printf("-- atomic wait/notify\n");
	std::atomic<int> word{ 0 };
	std::atomic<int> returned{ 0 };
	std::thread w([&] {
		word.wait(0);
		++returned;
	});
	std::this_thread::sleep_for(400ms);
	expect_long("waiter returned before the value changed", returned.load(), 0);
	word.store(1);
	word.notify_one();
	w.join();
	expect_long("waiter returned after store + notify_one", returned.load(), 1);

	word.store(0);
	returned = 0;
	std::vector<std::thread> ws;
	for (int i = 0; i < 8; i++)
		ws.emplace_back([&] {
			word.wait(0);
			++returned;
		});
	std::this_thread::sleep_for(100ms);
	word.store(2);
	word.notify_all();
	for (auto &t : ws)
		t.join();
	expect_long("waiters returned after notify_all", returned.load(), 8);

	std::atomic<int> turn{ 0 };
	int rounds = 0;
	std::thread other([&] {
		for (int i = 0; i < 2000; i++) {
			turn.wait(0);
			turn.store(0);
			turn.notify_one();
		}
	});
	for (int i = 0; i < 2000; i++) {
		turn.store(1);
		turn.notify_one();
		turn.wait(1);
		rounds++;
	}
	other.join();
	expect_long("wait/notify ping-pong rounds", rounds, 2000);
	expect_bool("wait on a different value returns at once", (word.wait(5), true), true);
}

int main()
{
	check_init(30);
	ticker_start();
	semaphores();
	latches();
	barriers();
	atomic_waits();
	ticker_stop();
	return check_status();
}
