#!/usr/bin/env python3
"""py_threading_server.py: a socketserver.ThreadingTCPServer, one thread per
connection, and its client, for tests/daemons/cpython.sh.

Server (run natively or under libgreen): per line, "UP text" answers the
text upper-cased, "ADD" increments a counter under a threading.Lock,
"WAIT" waits 50 ms on a threading.Event nobody sets (a timed lock wait),
"NAP" sleeps 20 ms, "COUNT" answers the counter, "SHUTDOWN" stops the
server from another thread (serve_forever returns; the process exits 0).

Client (always native): CONNECTIONS threads at once, each sends ROUNDS of
UP/ADD/WAIT/NAP, checks every answer, then prints totals that do not depend
on scheduling, asks COUNT and sends SHUTDOWN.

usage: py_threading_server.py serve PORT
       py_threading_server.py client PORT CONNECTIONS ROUNDS
"""
import socket
import socketserver
import sys
import threading
import time

counter = 0
counter_lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        global counter
        for raw in self.rfile:
            line = raw.decode().rstrip("\n")
            verb, _, arg = line.partition(" ")
            if verb == "UP":
                answer = arg.upper()
            elif verb == "ADD":
                with counter_lock:
                    counter += 1
                answer = "added"
            elif verb == "WAIT":
                answer = "set" if threading.Event().wait(0.05) else "timed out"
            elif verb == "NAP":
                time.sleep(0.02)
                answer = "rested"
            elif verb == "COUNT":
                with counter_lock:
                    answer = str(counter)
            elif verb == "SHUTDOWN":
                # Answered first: once serve_forever returns the process
                # exits, and this (daemon) thread with it.
                self.wfile.write(b"bye\n")
                threading.Thread(target=self.server.shutdown).start()
                continue
            else:
                answer = "unknown " + verb
            self.wfile.write((answer + "\n").encode())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


def serve(port):
    with Server(("127.0.0.1", port), Handler) as server:
        server.serve_forever()
    print("served", flush=True)


def ask(port, lines):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        reader = sock.makefile("r")
        answers = []
        for line in lines:
            sock.sendall((line + "\n").encode())
            answers.append(reader.readline().rstrip("\n"))
        return answers


def client(port, connections, rounds):
    wrong = []
    done = [0]
    lock = threading.Lock()

    def one(i):
        lines, wanted = [], []
        for r in range(rounds):
            text = "conn %d round %d" % (i, r)
            lines += ["UP " + text, "ADD", "WAIT", "NAP"]
            wanted += [text.upper(), "added", "timed out", "rested"]
        got = ask(port, lines)
        with lock:
            done[0] += 1
            if got != wanted:
                wrong.append((i, [g for g, w in zip(got, wanted) if g != w][:2]))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("connections done:", done[0], "of", connections)
    print("wrong answers:", wrong[0] if wrong else "none")
    print("count:", ask(port, ["COUNT"])[0], "wanted", connections * rounds)
    print("shutdown:", ask(port, ["SHUTDOWN"])[0])


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
