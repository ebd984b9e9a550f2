/* state: vxnetd's desired state on disk (--state DIR): the links, their
 * options and owners, and the fdb and neigh entries vxnet installed, with
 * their origins, written atomically (write, fsync, rename, fsync the
 * directory) after every change and read back at start. A corrupt file is
 * refused whole with one log line, and the daemon does not start over it. */
#ifndef VXNETD_STATE_H
#define VXNETD_STATE_H

#include "core.h"

#define STATE_DEFAULT_DIR "/var/lib/vxnet"

struct state;

/* dir NULL: STATE_DEFAULT_DIR for the default socket, else one directory
 * per socket under it. Creates the directory and takes its lock (a second
 * daemon on the same state is refused: -EBUSY). NULL and *rc on failure. */
struct state *state_open(const char *dir, const char *sock_path, int *rc);
void state_close(struct state *st);
const char *state_path(const struct state *st);
/* Re-create every saved link (taking over its device when it is still
 * there) and entry. -EINVAL for a corrupt file (logged). A link that cannot
 * be made now is logged and kept in the file. */
int state_restore(struct state *st, struct core *c);
/* core_set_persist() callback: write the core's model. */
int state_save_cb(struct core *c, void *arg);
/* Restore with takeover, then forget the state file: the caller's
 * core_free(c, false) removes the devices. -EBUSY if a daemon answers on
 * sock_path. */
int state_purge(struct state *st, struct core *c, const char *sock_path);

#endif
