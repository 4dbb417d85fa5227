// cpp_jthread.cpp: std::jthread stop tokens, interruptible waits, async futures.
//
// Pins down ([thread.jthread.class], [thread.condvarany.intwait],
// [futures.async]):
//   - condition_variable_any::wait(lock, stop_token, pred) blocks (here 400 ms,
//     longer than the ticker limit) until request_stop(), then returns the
//     predicate's value (false); a stop_callback runs exactly once, on the
//     requesting thread; the jthread destructor requests stop and joins;
//   - a stop requested before the wait returns at once without blocking;
//   - std::async(std::launch::async) runs each task on its own thread:
//     future::wait_for gives timeout then ready, get() returns the value or
//     rethrows the task's exception; a shared_future is read by many threads;
//     promise/future hand a value from a thread that sleeps 350 ms.
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "clock.h"
#include "ticker.h"

using namespace std::chrono_literals;

static void stop_tokens()
{
	std::printf("-- jthread + stop_token\n");
	std::mutex m;
	std::condition_variable_any cv;
	bool never = false;
	std::atomic<int> result{ -1 };
	std::atomic<int> callbacks{ 0 };
	std::atomic<bool> callback_on_requester{ false };
	std::thread::id requester;
	{
		std::jthread worker([&](std::stop_token st) {
			std::stop_callback cb(st, [&] {
				++callbacks;
				callback_on_requester = std::this_thread::get_id() == requester;
			});
			std::unique_lock<std::mutex> lk(m);
			bool r = cv.wait(lk, st, [&] { return never; });
			result = r ? 1 : 0;
		});
		std::this_thread::sleep_for(400ms);
		expect_long("worker still waiting before request_stop", result.load(), -1);
		requester = std::this_thread::get_id();
		expect_bool("request_stop", worker.request_stop(), true);
		expect_bool("request_stop again", worker.request_stop(), false);
	}
	expect_long("wait(lock, stop_token, pred) result after stop (0 = false)", result.load(), 0);
	expect_long("stop_callback runs", callbacks.load(), 1);
	expect_bool("stop_callback ran on the requesting thread", callback_on_requester.load(), true);

	std::atomic<bool> stopped_seen{ false };
	{
		std::jthread loop([&](std::stop_token st) {
			while (!st.stop_requested())
				std::this_thread::sleep_for(5ms);
			stopped_seen = true;
		});
		std::this_thread::sleep_for(50ms);
	}
	expect_bool("jthread destructor requested stop and joined", stopped_seen.load(), true);

	auto src = std::make_unique<std::stop_source>();
	src->request_stop();
	std::unique_lock<std::mutex> lk(m);
	auto t0 = std::chrono::steady_clock::now();
	bool r = cv.wait(lk, src->get_token(), [&] { return never; });
	auto waited = std::chrono::steady_clock::now() - t0;
	expect_bool("wait with an already-stopped token", r, false);
	if (waited > 100ms)
		FAIL("wait with an already-stopped token blocked");

	bool flag = false;
	std::jthread setter([&] {
		std::this_thread::sleep_for(50ms);
		std::lock_guard<std::mutex> g(m);
		flag = true;
		cv.notify_all();
	});
	auto live = std::make_unique<std::stop_source>();
	r = cv.wait(lk, live->get_token(), [&] { return flag; });
	expect_bool("wait with a live token, predicate made true", r, true);
}

static int slow_square(int x)
{
	std::this_thread::sleep_for(std::chrono::milliseconds(50 + 10 * (x % 5)));
	return x * x;
}

static void asyncs()
{
	std::printf("-- async futures\n");
	std::vector<std::future<int>> fs;
	for (int i = 0; i < 20; i++)
		fs.push_back(std::async(std::launch::async, slow_square, i));
	long sum = 0;
	for (auto &f : fs)
		sum += f.get();
	expect_long("sum of squares 0..19", sum, 2470);

	auto slow = std::async(std::launch::async, [] {
		std::this_thread::sleep_for(400ms);
		return std::string("done");
	});
	expect_bool("wait_for 10 ms is timeout", slow.wait_for(10ms) == std::future_status::timeout, true);
	expect_bool("wait_for 5 s is ready", slow.wait_for(5s) == std::future_status::ready, true);
	std::printf("value: %s\n", slow.get().c_str());

	auto thrower = std::async(std::launch::async, []() -> int { throw std::runtime_error("task failed"); });
	try {
		thrower.get();
		FAIL("get() did not rethrow");
	} catch (const std::runtime_error &e) {
		std::printf("get() rethrew: %s\n", e.what());
	}

	std::promise<int> p;
	std::shared_future<int> sf = p.get_future().share();
	std::atomic<long> seen{ 0 };
	std::vector<std::thread> readers;
	for (int i = 0; i < 8; i++)
		readers.emplace_back([&] { seen += sf.get(); });
	std::thread producer([&] {
		std::this_thread::sleep_for(350ms);
		p.set_value(7);
	});
	for (auto &t : readers)
		t.join();
	producer.join();
	expect_long("shared_future readers' sum", seen.load(), 56);

	std::promise<void> broken;
	auto bf = broken.get_future();
	std::thread([b = std::move(broken)]() mutable { std::this_thread::sleep_for(20ms); }).join();
	try {
		bf.get();
		FAIL("broken promise not reported");
	} catch (const std::future_error &e) {
		expect_bool("broken_promise error", e.code() == std::future_errc::broken_promise, true);
	}
}

int main()
{
	check_init(30);
	ticker_start();
	stop_tokens();
	asyncs();
	ticker_stop();
	return check_status();
}
