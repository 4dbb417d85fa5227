// exec.cc: the exec family, each through ExecPrep (exec_prep.h).
//
// glibc's execv, execvp and execl* call its internal __execve, which no
// interposer sees, so every entry point is interposed. Each one that uses
// `environ` is turned into its e-variant with environ, as glibc does it
// (execv = execve(path, argv, environ)), so a stripped environment can be
// handed over. A failed exec returns -1 with the real errno; ExecPrep's
// destructor puts the flags and the mask back first.
#include <unistd.h>

#include <cstdarg>

#include "boundary.h"
#include "process/exec_prep.h"

extern char** environ;

namespace {

// The argument list of execl/execle/execlp after arg0, up to the NULL;
// *envp gets the pointer after the NULL when with_env (execle).
template <class F>
int with_arg_list(const char* arg0, va_list ap, bool with_env, F exec) {
  va_list count;
  va_copy(count, ap);
  size_t n = 1;
  while (va_arg(count, char*)) n++;
  va_end(count);
  char* argv[n + 1];  // glibc's execl also builds argv on the stack
  argv[0] = const_cast<char*>(arg0);
  for (size_t i = 1; i <= n; i++) argv[i] = va_arg(ap, char*);
  char* const* envp = with_env ? va_arg(ap, char* const*) : environ;
  return exec(argv, envp);
}

int do_execve(const char* path, char* const argv[], char* const envp[]) {
  green::ExecPrep prep(envp);
  return REAL(execve)(path, argv, prep.envp());
}

int do_execvpe(const char* file, char* const argv[], char* const envp[]) {
  green::ExecPrep prep(envp);
  return REAL(execvpe)(file, argv, prep.envp());
}

}  // namespace

GREEN_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  return do_execve(path, argv, envp);
}

GREEN_EXPORT int execv(const char* path, char* const argv[]) { return do_execve(path, argv, environ); }

GREEN_EXPORT int execvp(const char* file, char* const argv[]) { return do_execvpe(file, argv, environ); }

GREEN_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return do_execvpe(file, argv, envp);
}

GREEN_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  green::ExecPrep prep(envp);
  return REAL(fexecve)(fd, argv, prep.envp());
}

GREEN_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags) {
  green::ExecPrep prep(envp);
  return REAL(execveat)(dirfd, path, argv, prep.envp(), flags);
}

GREEN_EXPORT int execl(const char* path, const char* arg0, ...) {
  va_list ap;
  va_start(ap, arg0);
  int r = with_arg_list(arg0, ap, false, [&](char* const* argv, char* const* envp) {
    return do_execve(path, argv, envp);
  });
  va_end(ap);
  return r;
}

GREEN_EXPORT int execle(const char* path, const char* arg0, ...) {
  va_list ap;
  va_start(ap, arg0);
  int r = with_arg_list(arg0, ap, true, [&](char* const* argv, char* const* envp) {
    return do_execve(path, argv, envp);
  });
  va_end(ap);
  return r;
}

GREEN_EXPORT int execlp(const char* file, const char* arg0, ...) {
  va_list ap;
  va_start(ap, arg0);
  int r = with_arg_list(arg0, ap, false, [&](char* const* argv, char* const* envp) {
    return do_execvpe(file, argv, envp);
  });
  va_end(ap);
  return r;
}
