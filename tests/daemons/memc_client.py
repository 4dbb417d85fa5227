#!/usr/bin/env python3
"""memc_client.py: a concurrent memcached client for tests/daemons/memcached.sh.

CONNECTIONS threads, each on its own connection, each does ROUNDS of: set
its own key to a value of its own, read it back, and incr one shared
counter. Prints what a correct server makes of that, in an order that does
not depend on scheduling: the counter's final value, how many read-backs
matched, and the first mismatch if any.

usage: memc_client.py PORT CONNECTIONS ROUNDS
"""
import socket
import sys
import threading


def command(sock, reader, line, payload=None):
    sock.sendall(line.encode() + b"\r\n" + (payload + b"\r\n" if payload is not None else b""))
    return reader.readline().rstrip(b"\r\n")


def worker(port, index, rounds, results):
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")
    matched = 0
    mismatch = None
    for r in range(rounds):
        key = "k%d" % index
        value = ("%d:%d:" % (index, r)).encode() * (1 + r % 50)
        if command(sock, reader, "set %s 0 0 %d" % (key, len(value)), value) != b"STORED":
            mismatch = mismatch or "set %s not stored" % key
        header = command(sock, reader, "get %s" % key)
        got = reader.readline().rstrip(b"\r\n") if header.startswith(b"VALUE") else b""
        if header.startswith(b"VALUE"):
            reader.readline()  # END
        if got == value:
            matched += 1
        else:
            mismatch = mismatch or "get %s: %r, wanted %r" % (key, got[:40], value[:40])
        command(sock, reader, "incr counter 1")
    sock.close()
    results[index] = (matched, mismatch)


def main():
    port, connections, rounds = (int(a) for a in sys.argv[1:4])
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")
    print("set counter:", command(sock, reader, "set counter 0 0 1", b"0").decode())
    results = [None] * connections
    threads = [threading.Thread(target=worker, args=(port, i, rounds, results)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    command(sock, reader, "get counter")
    print("counter:", reader.readline().rstrip(b"\r\n").decode(), "wanted", connections * rounds)
    reader.readline()
    print("read-backs matched:", sum(r[0] for r in results if r), "of", connections * rounds)
    mismatches = [r[1] for r in results if r and r[1]]
    print("first mismatch:", mismatches[0] if mismatches else "none")


if __name__ == "__main__":
    main()
