/* ev.h -- the daemon's one event loop: epoll for descriptors, a binary
 * heap of one-shot timers on the monotonic clock, and signals delivered
 * through signalfd so that their handlers run as ordinary callbacks.
 *
 * Single-threaded. Callbacks may add and remove descriptors, timers and
 * signals, including their own, and may call ev_stop(). A descriptor
 * removed during a dispatch round gets no further callback in that round.
 */
#ifndef GW_EV_H
#define GW_EV_H

#include <stddef.h>
#include <stdint.h>

struct ev; /* opaque */

#define EV_READ 0x1u
#define EV_WRITE 0x2u
#define EV_ERROR 0x4u  /* reported only: hang-up or error on the descriptor */

typedef void (*ev_io_cb)(struct ev *ev, int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(struct ev *ev, uint64_t id, void *arg);
typedef void (*ev_signal_cb)(struct ev *ev, int signo, void *arg);

/* Returns a new loop, owned by the caller (free with ev_free()), or NULL
 * with a message in err (errlen bytes). */
struct ev *ev_new(char *err, size_t errlen);

/* Frees the loop; accepts NULL. Descriptors are not closed (the loop only
 * borrows them); signals it blocked are unblocked again. */
void ev_free(struct ev *ev);

/* Watches fd (borrowed: the caller closes it, after ev_io_del()) for
 * events (EV_READ and/or EV_WRITE). Returns 0, -EEXIST if fd is watched
 * already, -EINVAL, -ENOMEM, or -errno from epoll_ctl. */
int ev_io_add(struct ev *ev, int fd, unsigned events, ev_io_cb cb, void *arg);

/* Changes the events watched on fd. Returns 0, -ENOENT, or -errno. */
int ev_io_mod(struct ev *ev, int fd, unsigned events);

/* Stops watching fd. Returns 0 or -ENOENT. */
int ev_io_del(struct ev *ev, int fd);

/* Arms a one-shot timer firing after ms milliseconds (monotonic clock).
 * Returns its id (never 0), or 0 when out of memory. Ids are not reused,
 * so deleting an expired timer's id is harmless. */
uint64_t ev_timer_add(struct ev *ev, uint64_t ms, ev_timer_cb cb, void *arg);

/* Cancels a timer. Returns 0, or -ENOENT if it fired or was cancelled. */
int ev_timer_del(struct ev *ev, uint64_t id);

/* Number of armed timers. */
size_t ev_timer_count(const struct ev *ev);

/* Delivers signo as a callback from the loop (the signal is blocked for
 * the process and read from a signalfd). One callback per signal; adding
 * a second replaces the first. Returns 0 or -errno. */
int ev_signal_add(struct ev *ev, int signo, ev_signal_cb cb, void *arg);

/* Monotonic time in milliseconds, as the loop's timers see it. */
uint64_t ev_now_ms(void);

/* Waits at most timeout_ms (-1: until something happens, 0: not at all)
 * and dispatches what is ready: expired timers, then descriptor events.
 * Returns the number of callbacks run, or -errno if epoll failed. */
int ev_run_once(struct ev *ev, int timeout_ms);

/* Runs until ev_stop(). Returns 0, or -errno if epoll failed. */
int ev_run(struct ev *ev);

/* Makes ev_run() return after the current dispatch round. */
void ev_stop(struct ev *ev);

#endif /* GW_EV_H */
