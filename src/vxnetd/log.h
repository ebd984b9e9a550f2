/* log: the daemon's logging to stderr (the daemon runs in the foreground;
 * systemd or the shell keeps the output). */
#ifndef VXNETD_LOG_H
#define VXNETD_LOG_H

void log_set_verbose(int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
