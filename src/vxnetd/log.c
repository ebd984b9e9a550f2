/* log: timestamped lines on stderr; debug lines only with -v. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int log_verbose;

void log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	/* One line at a time: the reaper's thread logs too. */
	flockfile(stderr);
	fprintf(stderr, "vxnetd %s.%03ld %s: ", when, ts.tv_nsec / 1000000, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("info", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (!log_verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("debug", fmt, ap);
	va_end(ap);
}

void log_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}
