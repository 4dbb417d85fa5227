// init.cc: libgreen.so's constructor. Before it runs every interposer passes
// through (no hub exists yet); it starts the runtime (runtime/start.cc).
#include "green.h"

namespace {

__attribute__((constructor(101))) void green_init() { green::start(); }

}  // namespace
