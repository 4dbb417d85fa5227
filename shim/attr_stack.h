// attr_stack.h: the stack size a program set on a pthread_attr_t (attr_stack.cc).
#pragma once

#include <pthread.h>

#include <cstddef>

namespace shim {

// The size set with pthread_attr_setstacksize/setstack, or 0 (not chosen).
size_t chosen_stack_size(const pthread_attr_t* attr);

}  // namespace shim
