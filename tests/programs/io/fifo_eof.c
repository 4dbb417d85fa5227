/* fifo_eof: a FIFO opened O_RDONLY|O_NONBLOCK that has no writer reads as end
 * of file (0), natively; once a writer has come and gone, too. With a writer
 * present and nothing written, read() fails with EAGAIN. (fifo(7), pipe(7))
 */
#include "check.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>

int main(void)
{
	check_init(20);
	ticker_start();
	char path[] = "/tmp/fifo_eof_XXXXXX";
	if (!mkdtemp(path))
		return 2;
	char fifo[64];
	snprintf(fifo, sizeof fifo, "%s/f", path);
	if (mkfifo(fifo, 0600) < 0)
		return 2;
	char buf[8];

	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0, "open O_RDONLY|O_NONBLOCK: %s", ename(errno));
	EXPECT_RC("read, no writer ever", read(r, buf, sizeof buf), 0);
	struct iovec v = { buf, sizeof buf };
	EXPECT_RC("readv, no writer ever", readv(r, &v, 1), 0);

	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0, "open O_WRONLY|O_NONBLOCK: %s", ename(errno));
	EXPECT_ERR("read, writer silent", read(r, buf, sizeof buf), EAGAIN);
	EXPECT_RC("write", write(w, "ab", 2), 2);
	EXPECT_RC("read, data", read(r, buf, sizeof buf), 2);
	close(w);
	EXPECT_RC("read, writer gone", read(r, buf, sizeof buf), 0);
	close(r);

	/* the same FIFO opened blocking with O_RDWR, then a non-blocking reader */
	int rw = open(fifo, O_RDWR);
	r = open(fifo, O_RDONLY | O_NONBLOCK);
	EXPECT_ERR("read, O_RDWR holder silent", read(r, buf, sizeof buf), EAGAIN);
	close(rw);
	EXPECT_RC("read, O_RDWR holder gone", read(r, buf, sizeof buf), 0);
	close(r);

	unlink(fifo);
	rmdir(path);
	ticker_stop();
	return finish("fifo_eof");
}
