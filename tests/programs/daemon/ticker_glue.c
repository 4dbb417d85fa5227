/* ticker_glue.c: ticker.h behind extern functions, for C++ programs (ticker.h uses C11
 * <stdatomic.h>, which C++20 cannot include). */
#include "ticker.h"

void dticker_start(void);
int dticker_stop(void);

void dticker_start(void)
{
	ticker_start();
}

int dticker_stop(void)
{
	fflush(stdout);
	return ticker_stop();
}
