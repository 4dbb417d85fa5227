// attr_stack.h: the stack size a program set on a pthread_attr_t (attr_stack.cc).
#pragma once

#include <pthread.h>

#include <cstddef>

namespace green {

// The size set with pthread_attr_setstacksize/setstack, or 0 (not chosen).
size_t chosen_stack_size(const pthread_attr_t* attr);
// The program set attr's stack size (setstacksize, setstack); init and
// destroy forget it. Any thread.
void attr_stack_chosen(const pthread_attr_t* attr, size_t size);
void attr_stack_forget(const pthread_attr_t* attr);

}  // namespace green
