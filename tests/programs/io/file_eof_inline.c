/* file_eof_inline: reading a small, cached regular file to end of file never
 * needs another thread. Natively the process keeps its threads throughout;
 * under libgreen a short read at EOF must return inline too, not go to
 * libuv's pool (which would start its threads, visible in /proc/self/task).
 * Counted as a difference, so extra hubs (GREEN_HUBS > 1) do not count.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static char buf[1 << 20];

int main(void)
{
	check_init(20);
	int before = threads();
	/* the program's own file: on the build's file system, in the page cache */
	int fd = open("/proc/self/exe", O_RDONLY);
	CHECK(fd >= 0, "open: %s", ename(errno));
	struct stat st;
	fstat(fd, &st);
	CHECK(st.st_size < (off_t)sizeof buf, "binary larger than the buffer");
	ssize_t n = read(fd, buf, sizeof buf); /* warms the cache if it was not */
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof buf);
	expect_bool("read returned the whole file", n == st.st_size, true);
	EXPECT_RC("read at EOF", read(fd, buf, sizeof buf), 0);
	struct iovec v[2] = { { buf, 16 }, { buf + 16, sizeof buf - 16 } };
	lseek(fd, 0, SEEK_SET);
	n = readv(fd, v, 2);
	expect_bool("readv returned the whole file", n == st.st_size, true);
	n = pread(fd, buf, sizeof buf, 0);
	expect_bool("pread returned the whole file", n == st.st_size, true);
	n = pread(fd, buf, sizeof buf, st.st_size - 3);
	expect_long("pread of the last 3 bytes", n, 3);
	close(fd);
	expect_long("threads started by reading to EOF", threads() - before, 0);
	return finish("file_eof_inline");
}
