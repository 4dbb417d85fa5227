//! rs_park.rs: std::thread::park / unpark / park_timeout.
//!
//! Rust's thread parker on Linux is a futex word per thread
//! (syscall(SYS_futex, FUTEX_WAIT_BITSET_PRIVATE ...)), so under libgreen
//! syscall() must park the green thread. Pins down (std::thread::park docs):
//!   - an unpark before park leaves a token: park returns at once, and the
//!     token does not accumulate (a second park_timeout times out);
//!   - park_timeout without unpark returns after at least the timeout;
//!   - a thread parked until main unparks it 400 ms later (longer than the
//!     ticker limit) observes the flag main set before unparking;
//!   - 2000 rounds of park/unpark ping-pong between two threads.
#[path = "rs_util.rs"]
mod rs_util;

use rs_util::{check, exit_code, fail, ms_since, watchdog, Ticker};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn tokens() {
    println!("-- tokens");
    thread::current().unpark();
    let t0 = Instant::now();
    thread::park();
    check("park after unpark returns at once", ms_since(t0) < 100);
    thread::current().unpark();
    thread::current().unpark();
    thread::park_timeout(Duration::from_secs(5));
    let t0 = Instant::now();
    thread::park_timeout(Duration::from_millis(60));
    check("two unparks leave one token: the second park times out", ms_since(t0) >= 55);
    let t0 = Instant::now();
    thread::park_timeout(Duration::from_millis(60));
    check("park_timeout 60 ms without unpark", ms_since(t0) >= 55);
}

fn parked_until_unpark() {
    println!("-- parked until unpark");
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = flag.clone();
    let h = thread::spawn(move || {
        let mut parks = 0u32;
        while !f2.load(Ordering::SeqCst) && parks < 1000 {
            thread::park();
            parks += 1;
        }
        f2.load(Ordering::SeqCst)
    });
    thread::sleep(Duration::from_millis(400));
    flag.store(true, Ordering::SeqCst);
    h.thread().unpark();
    check("parked thread saw the flag after unpark", h.join().unwrap());
}

fn ping_pong() {
    println!("-- ping-pong");
    const ROUNDS: usize = 2000;
    let turn = Arc::new(AtomicUsize::new(0));
    let main_thread = thread::current();
    let t2 = turn.clone();
    let other = thread::spawn(move || {
        let mut done = 0;
        for i in 0..ROUNDS {
            let mut spins = 0u64;
            while t2.load(Ordering::SeqCst) != 2 * i + 1 {
                thread::park_timeout(Duration::from_secs(2));
                spins += 1;
                if spins > 100_000 {
                    return done;
                }
            }
            t2.store(2 * i + 2, Ordering::SeqCst);
            main_thread.unpark();
            done += 1;
        }
        done
    });
    let mut done = 0;
    for i in 0..ROUNDS {
        turn.store(2 * i + 1, Ordering::SeqCst);
        other.thread().unpark();
        let t0 = Instant::now();
        while turn.load(Ordering::SeqCst) != 2 * i + 2 {
            thread::park_timeout(Duration::from_secs(2));
            if t0.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
        done += 1;
    }
    let other_done = other.join().unwrap();
    println!("rounds: {} + {}", done, other_done);
    if done != ROUNDS || other_done != ROUNDS {
        fail("park/unpark ping-pong lost rounds");
    }
}

fn main() {
    watchdog(30);
    let ticker = Ticker::start();
    tokens();
    parked_until_unpark();
    ping_pong();
    ticker.stop();
    std::process::exit(exit_code());
}
