// file_lock.h: blocking file-lock waits (file_lock.cc).
#pragma once

namespace shim {

// fcntl(fd, F_SETLKW or F_OFD_SETLKW, fl) on a green thread: the result
// and errno as libc returns them. real is libc's fcntl or fcntl64.
int fcntl_lock_wait(int (*real)(int, int, ...), int fd, int cmd, void* fl);

}  // namespace shim
