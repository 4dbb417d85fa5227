//! rs_channels.rs: Rust threads and std::sync::mpsc channels.
//!
//! Rust's std blocks through futex(2) via syscall() (thread parking, used by
//! mpsc's blocking receive and send) and through nanosleep, so under libgreen
//! these must park. Pins down (std::sync::mpsc docs):
//!   - 4 producers x 1000 values over one channel: exact count and sum, and
//!     `recv` returns Err once every sender is gone;
//!   - try_recv: Empty, then Disconnected; recv_timeout: Timeout after really
//!     waiting; send to a dropped receiver: Err;
//!   - sync_channel(0) is a rendezvous: send returns only after the receiver,
//!     which sleeps 400 ms first (longer than the ticker limit), took it;
//!   - sync_channel(4): try_send gives Full after 4 queued values.
#[path = "rs_util.rs"]
mod rs_util;

use rs_util::{check, exit_code, fail, ms_since, watchdog, Ticker};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError, TrySendError};
use std::thread;
use std::time::{Duration, Instant};

fn many_producers() {
    println!("-- channel");
    let (tx, rx) = mpsc::channel::<u64>();
    let mut handles = Vec::new();
    for p in 0..4u64 {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            for i in 0..1000u64 {
                tx.send(p * 1000 + i + 1).unwrap();
                if i % 100 == 0 {
                    thread::yield_now();
                }
            }
        }));
    }
    drop(tx);
    let mut count = 0u64;
    let mut sum = 0u64;
    while let Ok(v) = rx.recv() {
        count += 1;
        sum += v;
    }
    for h in handles {
        h.join().unwrap();
    }
    println!("received {} values, sum {}", count, sum);
    if count != 4000 || sum != 4000 * 4001 / 2 {
        fail("lost or duplicated channel values");
    }
}

fn errors() {
    println!("-- channel errors");
    let (tx, rx) = mpsc::channel::<i32>();
    check("try_recv on empty is Empty", rx.try_recv() == Err(TryRecvError::Empty));
    let t0 = Instant::now();
    let r = rx.recv_timeout(Duration::from_millis(60));
    check("recv_timeout 60 ms is Timeout", r == Err(RecvTimeoutError::Timeout));
    if ms_since(t0) < 55 {
        fail("recv_timeout returned early");
    }
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(350));
        tx.send(7).unwrap();
    });
    check(
        "recv_timeout 5 s gets a value sent after 350 ms",
        rx.recv_timeout(Duration::from_secs(5)) == Ok(7),
    );
    sender.join().unwrap();
    check("try_recv after the sender dropped is Disconnected", rx.try_recv() == Err(TryRecvError::Disconnected));
    check(
        "recv_timeout after the sender dropped is Disconnected",
        rx.recv_timeout(Duration::from_millis(10)) == Err(RecvTimeoutError::Disconnected),
    );
    let (tx2, rx2) = mpsc::channel::<i32>();
    drop(rx2);
    check("send to a dropped receiver fails", tx2.send(1).is_err());
}

fn rendezvous() {
    println!("-- sync_channel(0)");
    let (tx, rx) = mpsc::sync_channel::<u32>(0);
    let t0 = Instant::now();
    let sender = thread::spawn(move || {
        tx.send(42).unwrap();
        ms_since(t0)
    });
    thread::sleep(Duration::from_millis(400));
    let v = rx.recv().unwrap();
    let sent_after = sender.join().unwrap();
    eprintln!("rendezvous send returned after {} ms", sent_after);
    check("rendezvous value", v == 42);
    check("send returned only after the receiver took it", sent_after >= 395);

    println!("-- sync_channel(4)");
    let (tx, rx) = mpsc::sync_channel::<u32>(4);
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    check("try_send on a full channel is Full", tx.try_send(9) == Err(TrySendError::Full(9)));
    let consumer = thread::spawn(move || {
        let mut sum = 0;
        for v in rx.iter() {
            sum += v;
        }
        sum
    });
    for i in 4..1000 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let sum = consumer.join().unwrap();
    println!("bounded channel sum: {}", sum);
    if sum != 999 * 1000 / 2 {
        fail("bounded channel lost values");
    }
}

fn main() {
    watchdog(30);
    let ticker = Ticker::start();
    many_producers();
    errors();
    rendezvous();
    ticker.stop();
    std::process::exit(exit_code());
}
