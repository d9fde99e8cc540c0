/* curlev.h -- a libcurl multi handle driven by the daemon's event loop.
 *
 * libcurl's socket interface tells which sockets to watch and when it
 * wants a timeout; this module turns that into ev_io and ev_timer
 * registrations, so that HTTP clients (the switch connector, the DFSP
 * backend hook) never block the loop. After each piece of work libcurl
 * does, the owner's after() callback runs, to read finished transfers
 * with curl_multi_info_read() on curlev_multi().
 *
 * Ownership: curlev_new() gives the caller a handle it frees with
 * curlev_free(); the ev loop is borrowed and must outlive it. The multi
 * handle returned by curlev_multi() belongs to the curlev: the owner adds
 * and removes its easy handles on it, and removes them all before
 * curlev_free(), which cleans the multi handle up. */
#ifndef TILLGATE_CURLEV_H
#define TILLGATE_CURLEV_H

#include <curl/curl.h>

struct ev;
struct curlev;

/* A multi handle on ev; after(arg) runs after every socket action (arg
 * borrowed). 0, or -ENOMEM. */
int curlev_new(struct curlev **out, struct ev *ev, void (*after)(void *arg), void *arg);

/* The multi handle (owned by c). */
CURLM *curlev_multi(const struct curlev *c);

/* Stops the timer and cleans the multi handle up; NULL is a no-op. */
void curlev_free(struct curlev *c);

#endif
