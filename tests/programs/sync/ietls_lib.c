/* ietls_lib.c: a library with initial-exec TLS, for dlopen_tls.c.
 * Built with -ftls-model=initial-exec, so its code reaches its variables at a
 * fixed offset from the thread pointer: glibc must place them in every
 * thread's static TLS (its surplus) when the library is dlopen()ed. */
__thread long ie_counter = 5;
__thread char ie_buf[64];

long ie_bump(long by)
{
	ie_buf[0] = (char)by;
	return ie_counter += by;
}

long ie_read(void) { return ie_counter; }
char ie_mark(void) { return ie_buf[0]; }
void *ie_address(void) { return &ie_counter; }
