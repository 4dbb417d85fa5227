// stdio_lock.h: a green lock per FILE (stdio.cc's design note, DESIGN.md
// "Known hard spots").
//
// glibc's FILE lock is recursive and names its owner by OS thread, which all
// green threads of a hub share: while one of them is parked inside a stdio
// call, another would walk straight in. So libgreen never parks holding
// glibc's lock (except where the program holds it itself: flockfile), and
// serializes green threads on a FILE with this lock instead: keyed by the
// FILE's address, recursive per green thread, parking in the lot
// (parking_lot.h) when busy. It is held across a whole stdio call, parks
// included, so two green threads writing lines never interleave within one.
//
// Native threads do not take it; against them each libc call a green stdio
// call is made of is atomic, not the whole call (README, limitations).
//
// Threading: green threads of any hub. A record exists only while its FILE
// is locked; only its owner creates, counts and erases it.
#pragma once

#include <stdio.h>

#include "green.h"

namespace green {

void stdio_lock(FILE* f);
// False when another green thread holds f.
bool stdio_trylock(FILE* f);
// Drops one level; no-op unless the running green thread holds f.
void stdio_unlock(FILE* f);
// Parks while another green thread holds f: for calls that never park and so
// take no lock of their own, but must not run inside a flockfile section.
void stdio_wait_unlocked(FILE* f);

// g is ending (green::on_green_exit): the FILEs it holds are unlocked, as
// glibc's cleanup handlers unlock a FILE when a thread is cancelled inside a
// stdio call (and as flockfile sections of an exiting thread are not).
void stdio_on_green_exit(green::Green* g);

class StdioLock {
 public:
  explicit StdioLock(FILE* f) : f_(f) { stdio_lock(f_); }
  ~StdioLock() { stdio_unlock(f_); }
  StdioLock(const StdioLock&) = delete;
  StdioLock& operator=(const StdioLock&) = delete;

 private:
  FILE* f_;
};

}  // namespace green
