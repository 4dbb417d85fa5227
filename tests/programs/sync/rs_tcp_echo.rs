//! rs_tcp_echo.rs: a thread-per-connection TCP echo server in Rust std.
//!
//! A TcpListener on 127.0.0.1 port 0 accepts 20 connections, each served by
//! its own thread that echoes until EOF; 20 client threads connect, write
//! messages of sizes up to 200 KB (more than a socket buffer, so both sides
//! block in write and read) and check the echo byte for byte. One client
//! waits 400 ms before sending, so its server thread blocks in read longer
//! than the ticker limit; the clients meet at a Barrier first so all 20
//! connections are open at once. A client with a 100 ms read timeout on a
//! silent connection gets ErrorKind::WouldBlock (EAGAIN from SO_RCVTIMEO,
//! socket(7)). Pins down exact byte counts and contents, and that all
//! server threads see EOF after the clients shut down their write side.
#[path = "rs_util.rs"]
mod rs_util;

use rs_util::{check, exit_code, fail, watchdog, Ticker};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

const CLIENTS: usize = 20;

fn serve(mut s: TcpStream) -> usize {
    let mut buf = vec![0u8; 16384];
    let mut total = 0;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => {
                if s.write_all(&buf[..n]).is_err() {
                    return total;
                }
                total += n;
            }
            Err(ref e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return total,
        }
    }
}

fn byte(id: usize, i: usize) -> u8 {
    ((i * 31 + id * 7 + (i >> 10)) & 0xff) as u8
}

fn client(id: usize, port: u16, start: Arc<Barrier>) -> Result<usize, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {}", e))?;
    start.wait();
    if id == 0 {
        thread::sleep(Duration::from_millis(400));
    }
    let size = 1000 + id * 10_000;
    let msg: Vec<u8> = (0..size).map(|i| byte(id, i)).collect();
    let mut w = s.try_clone().map_err(|e| format!("try_clone: {}", e))?;
    let writer = thread::spawn(move || {
        let r = w.write_all(&msg);
        let _ = w.shutdown(Shutdown::Write);
        r.is_ok()
    });
    let mut got = Vec::with_capacity(size);
    s.read_to_end(&mut got).map_err(|e| format!("read: {}", e))?;
    if !writer.join().unwrap_or(false) {
        return Err("write failed".to_string());
    }
    if got.len() != size {
        return Err(format!("echoed {} bytes of {}", got.len(), size));
    }
    if (0..size).any(|i| got[i] != byte(id, i)) {
        return Err("echo differs".to_string());
    }
    Ok(size)
}

fn main() {
    watchdog(30);
    let ticker = Ticker::start();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();

    let server = thread::spawn(move || {
        let mut handlers = Vec::new();
        for _ in 0..CLIENTS + 1 {
            match listener.accept() {
                Ok((s, _)) => handlers.push(thread::spawn(move || serve(s))),
                Err(e) => {
                    fail(&format!("accept: {}", e));
                    break;
                }
            }
        }
        handlers.into_iter().map(|h| h.join().unwrap_or(0)).collect::<Vec<_>>()
    });

    let silent = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    silent.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut one = [0u8; 1];
    let kind = match (&silent).read(&mut one) {
        Ok(n) => format!("Ok({})", n),
        Err(e) => format!("{:?}", e.kind()),
    };
    println!("read with a 100 ms timeout on a silent connection: {}", kind);
    if kind != "WouldBlock" {
        fail("read timeout did not give WouldBlock");
    }
    drop(silent);

    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let start = start.clone();
            thread::spawn(move || client(id, port, start))
        })
        .collect();
    let mut client_bytes = 0;
    let mut ok = 0;
    for (id, c) in clients.into_iter().enumerate() {
        match c.join() {
            Ok(Ok(n)) => {
                client_bytes += n;
                ok += 1;
            }
            Ok(Err(e)) => fail(&format!("client {}: {}", id, e)),
            Err(_) => fail(&format!("client {} panicked", id)),
        }
    }
    let served = server.join().unwrap();
    let server_bytes: usize = served.iter().sum();
    let expected: usize = (0..CLIENTS).map(|id| 1000 + id * 10_000).sum();
    println!("clients ok: {} of {}", ok, CLIENTS);
    println!("bytes echoed: clients {}, server {}", client_bytes, server_bytes);
    check("byte totals", client_bytes == expected && server_bytes == expected);
    println!("server handler threads: {}", served.len());
    ticker.stop();
    std::process::exit(exit_code());
}
