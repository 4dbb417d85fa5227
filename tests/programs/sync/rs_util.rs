//! rs_util.rs: what the Rust sync test programs share (included with
//! `#[path = "rs_util.rs"] mod rs_util;`). Rust 1.63, std only.
//!
//! - `watchdog(secs)`: alarm(2) with a SIGALRM handler that prints a FAIL line
//!   and exits 1, so a hang fails the test (a signal, not a thread: it fires
//!   even if the OS thread is blocked).
//! - `fail(msg)`: prints `FAIL: msg` and remembers it for `exit_code()`.
//! - `Ticker`: the same idea as tests/programs/common/ticker.h: a thread
//!   sleeping 10 ms in a loop records the longest gap between wake-ups; under
//!   libgreen it is a green thread on the same OS thread, so a blocked OS
//!   thread shows as a long gap. `stop()` prints `ticker: ok` or
//!   `FAIL: ticker stalled ...` (limit 300 ms, or env TICKER_MAX_MS).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

static FAILURES: AtomicUsize = AtomicUsize::new(0);

extern "C" {
    fn alarm(seconds: u32) -> u32;
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(status: i32) -> !;
}

const SIGALRM: i32 = 14;

extern "C" fn on_alarm(_sig: i32) {
    let msg = b"FAIL: watchdog alarm: the program hung\n";
    unsafe {
        write(1, msg.as_ptr(), msg.len());
        _exit(1);
    }
}

pub fn watchdog(seconds: u32) {
    unsafe {
        signal(SIGALRM, on_alarm);
        alarm(seconds);
    }
}

pub fn fail(msg: &str) {
    println!("FAIL: {}", msg);
    FAILURES.fetch_add(1, Ordering::SeqCst);
}

pub fn check(label: &str, ok: bool) {
    println!("{}: {}", label, if ok { "ok" } else { "bad" });
    if !ok {
        fail(label);
    }
}

pub fn exit_code() -> i32 {
    if FAILURES.load(Ordering::SeqCst) == 0 {
        0
    } else {
        1
    }
}

pub struct Ticker {
    stop: Arc<AtomicBool>,
    max_gap_ns: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl Ticker {
    pub fn start() -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let max_gap_ns = Arc::new(AtomicU64::new(0));
        let (s, g) = (stop.clone(), max_gap_ns.clone());
        let handle = thread::spawn(move || {
            let mut last = Instant::now();
            while !s.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(10));
                let now = Instant::now();
                let gap = now.duration_since(last).as_nanos() as u64;
                if gap > g.load(Ordering::SeqCst) {
                    g.store(gap, Ordering::SeqCst);
                }
                last = now;
            }
        });
        Ticker { stop, max_gap_ns, handle: Some(handle) }
    }

    /// Returns true when the ticker never stalled.
    pub fn stop(mut self) -> bool {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        let limit_ms: u64 = std::env::var("TICKER_MAX_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        let gap_ms = self.max_gap_ns.load(Ordering::SeqCst) / 1_000_000;
        eprintln!("ticker: longest gap {} ms", gap_ms);
        if gap_ms > limit_ms {
            fail(&format!(
                "ticker stalled {} ms (limit {} ms): the OS thread blocked",
                gap_ms, limit_ms
            ));
            false
        } else {
            println!("ticker: ok");
            true
        }
    }
}

pub fn ms_since(t0: Instant) -> u128 {
    t0.elapsed().as_millis()
}
