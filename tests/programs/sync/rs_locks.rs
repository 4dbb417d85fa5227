//! rs_locks.rs: Rust std Mutex, Condvar, RwLock and Barrier.
//!
//! Since Rust 1.62 these are futex-based on Linux: they call
//! syscall(SYS_futex, FUTEX_WAIT_BITSET_PRIVATE / FUTEX_WAKE_PRIVATE)
//! directly, not pthreads, so under libgreen the syscall() wrapper must park.
//! Pins down (std::sync docs):
//!   - Mutex: exact counts from 8 threads; try_lock WouldBlock while held;
//!     a thread panicking while holding it poisons it (lock() is Err);
//!   - Condvar: wait_timeout reports timed_out() after really waiting;
//!     wait_while returns once a thread that slept 400 ms (longer than the
//!     ticker limit) set the condition; notify_all wakes every waiter;
//!   - RwLock: two readers hold it at once (they meet at a Barrier inside),
//!     try_read and try_write fail while write-locked, writers are exclusive;
//!   - Barrier: exactly one leader per round over 100 rounds of 8 threads.
#[path = "rs_util.rs"]
mod rs_util;

use rs_util::{check, exit_code, fail, ms_since, watchdog, Ticker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

fn mutexes() {
    println!("-- Mutex");
    let m = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..8)
        .map(|_| {
            let m = m.clone();
            thread::spawn(move || {
                for i in 0..20000 {
                    *m.lock().unwrap() += 1;
                    if i % 1000 == 0 {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let total = *m.lock().unwrap();
    println!("counter: {}", total);
    if total != 160000 {
        fail("mutex counter lost increments");
    }

    let guard = m.lock().unwrap();
    let m2 = m.clone();
    let would_block = thread::spawn(move || matches!(m2.try_lock(), Err(TryLockError::WouldBlock)))
        .join()
        .unwrap();
    drop(guard);
    check("try_lock from another thread while held is WouldBlock", would_block);

    let m3 = m.clone();
    std::panic::set_hook(Box::new(|_| eprintln!("(the deliberate panic happened)")));
    let r = thread::spawn(move || {
        let _g = m3.lock().unwrap();
        panic!("deliberate panic while holding the mutex");
    })
    .join();
    let _ = std::panic::take_hook();
    check("the panicking thread's join is Err", r.is_err());
    check("the mutex is poisoned", m.is_poisoned() && m.lock().is_err());
}

fn condvars() {
    println!("-- Condvar");
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    {
        let (lock, cv) = &*pair;
        let g = lock.lock().unwrap();
        let t0 = Instant::now();
        let (g, res) = cv.wait_timeout(g, Duration::from_millis(60)).unwrap();
        check("wait_timeout 60 ms timed out", res.timed_out() && !*g);
        if ms_since(t0) < 55 {
            fail("wait_timeout returned early");
        }
        let (_g, res) = cv
            .wait_timeout_while(g, Duration::from_millis(60), |ready| !*ready)
            .unwrap();
        check("wait_timeout_while 60 ms timed out", res.timed_out());
    }
    let p2 = pair.clone();
    let setter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(400));
        let (lock, cv) = &*p2;
        *lock.lock().unwrap() = true;
        cv.notify_one();
    });
    {
        let (lock, cv) = &*pair;
        let g = cv.wait_while(lock.lock().unwrap(), |ready| !*ready).unwrap();
        check("wait_while returned with the condition set", *g);
    }
    setter.join().unwrap();

    let state = Arc::new((Mutex::new((0u32, false)), Condvar::new()));
    let woken = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..6)
        .map(|_| {
            let state = state.clone();
            let woken = woken.clone();
            thread::spawn(move || {
                let (lock, cv) = &*state;
                let mut g = lock.lock().unwrap();
                g.0 += 1;
                cv.notify_all();
                let _g = cv.wait_while(g, |s| !s.1).unwrap();
                woken.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    {
        let (lock, cv) = &*state;
        let mut g = cv.wait_while(lock.lock().unwrap(), |s| s.0 < 6).unwrap();
        g.1 = true;
        cv.notify_all();
    }
    for h in hs {
        h.join().unwrap();
    }
    println!("waiters woken by notify_all: {}", woken.load(Ordering::SeqCst));
    if woken.load(Ordering::SeqCst) != 6 {
        fail("notify_all did not wake every waiter");
    }
}

fn rwlocks() {
    println!("-- RwLock");
    let rw = Arc::new(RwLock::new(0u64));
    let inside = Arc::new(Barrier::new(2));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let rw = rw.clone();
            let inside = inside.clone();
            thread::spawn(move || {
                let _r = rw.read().unwrap();
                inside.wait();
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    println!("two readers held the lock together: ok");

    let w = rw.write().unwrap();
    let rw2 = rw.clone();
    let (try_r, try_w) = thread::spawn(move || {
        (
            matches!(rw2.try_read(), Err(TryLockError::WouldBlock)),
            matches!(rw2.try_write(), Err(TryLockError::WouldBlock)),
        )
    })
    .join()
    .unwrap();
    drop(w);
    check("try_read while write-locked is WouldBlock", try_r);
    check("try_write while write-locked is WouldBlock", try_w);

    let pair = Arc::new(RwLock::new((0u64, 0u64)));
    let torn = Arc::new(AtomicUsize::new(0));
    let mut hs = Vec::new();
    for _ in 0..3 {
        let pair = pair.clone();
        hs.push(thread::spawn(move || {
            for i in 0..2000 {
                let mut g = pair.write().unwrap();
                g.0 += 1;
                if i % 64 == 0 {
                    thread::yield_now();
                }
                g.1 += 1;
            }
        }));
    }
    for _ in 0..3 {
        let pair = pair.clone();
        let torn = torn.clone();
        hs.push(thread::spawn(move || {
            for _ in 0..2000 {
                let g = pair.read().unwrap();
                if g.0 != g.1 {
                    torn.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let g = pair.read().unwrap();
    println!("writes: {}, torn reads: {}", g.0, torn.load(Ordering::SeqCst));
    if g.0 != 6000 || g.1 != 6000 || torn.load(Ordering::SeqCst) != 0 {
        fail("RwLock writes lost or reads torn");
    }
}

fn barriers() {
    println!("-- Barrier");
    const THREADS: usize = 8;
    const ROUNDS: usize = 100;
    let barrier = Arc::new(Barrier::new(THREADS));
    let leaders = Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    let hs: Vec<_> = (0..THREADS)
        .map(|id| {
            let barrier = barrier.clone();
            let leaders = leaders.clone();
            thread::spawn(move || {
                for r in 0..ROUNDS {
                    if r == 1 && id == 0 {
                        thread::sleep(Duration::from_millis(400));
                    }
                    if barrier.wait().is_leader() {
                        leaders[r].fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let good = leaders.iter().filter(|l| l.load(Ordering::SeqCst) == 1).count();
    println!("rounds with exactly one leader: {} of {}", good, ROUNDS);
    if good != ROUNDS {
        fail("a barrier round did not have exactly one leader");
    }
}

fn main() {
    watchdog(30);
    let ticker = Ticker::start();
    mutexes();
    condvars();
    rwlocks();
    barriers();
    ticker.stop();
    std::process::exit(exit_code());
}
