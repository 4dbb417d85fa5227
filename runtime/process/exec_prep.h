// exec_prep.h: what a new program must not inherit from libgreen.
//
// Before any exec (the exec family, posix_spawn, system) the process is put
// back the way the program set it (DESIGN rule 4):
//   - listeners libgreen made O_NONBLOCK (fd_state.h) and the program sees
//     as blocking get their blocking mode back, unless FD_CLOEXEC closes them;
//   - the OS thread's real signal mask becomes the calling green thread's
//     (the new program inherits the mask of the thread that execs);
//   - GREEN_INHERIT=0: libgreen is taken out of LD_PRELOAD in the new
//     program's environment (LD_PRELOAD goes when nothing else is left).
// The destructor undoes the first two, for an exec that failed or a spawn
// that returned; errno is kept.
//
// Async-signal-safe (execve may be called from a handler or a vfork
// child): no malloc; the new environment lives in an mmap'd block.
//
// Limitation (README): a listener's file description is shared with forked
// children, so a child's exec gives the parent's listener its blocking mode
// back too.
#pragma once

#include <signal.h>

#include <cstddef>

namespace green {

class ExecPrep {
 public:
  explicit ExecPrep(char* const* envp);
  ~ExecPrep();
  ExecPrep(const ExecPrep&) = delete;
  ExecPrep& operator=(const ExecPrep&) = delete;

  // The environment to hand to the new program.
  char* const* envp() const { return envp_; }

 private:
  char* const* envp_;
  void* block_ = nullptr;   // mmap'd copy of the environment, or nullptr
  size_t block_size_ = 0;
  sigset_t old_mask_;
  bool mask_set_ = false;
};

// Records libgreen's own file name (start-up; exec_prep.cc).
void exec_prep_init();

}  // namespace green
