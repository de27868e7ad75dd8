/*
 * threads.h - the program's threads as libopcount.so knows them: each
 * one's state (struct opc_thread, record.h) from its first intercepted
 * call to its exit, and the registry of them the collector reads.
 *
 * A thread attaches at its first call (or layer push), is registered,
 * and is marked dead by the pthread key destructor at its exit; the
 * collector harvests it once more and then reaps it.  A forked child keeps
 * only the thread that forked, with its keys forgotten.
 *
 * Locking: the registry lock guards the list, and the collector holds it
 * for what it owns too (collector.c).  Program threads take it only to
 * register.
 */
#ifndef OPC_THREADS_H
#define OPC_THREADS_H

#include <pthread.h>
#include <time.h>

#include "record.h"

/* the calling thread's state, NULL until its first call */
extern __thread struct opc_thread *opc_self
	__attribute__((tls_model("initial-exec")));

/* In the constructor: the thread-exit handler.  0 or -errno. */
int opc_threads_init(void);

/*
 * Called, with the registry lock held, before a thread is registered; a
 * nonzero return refuses the thread (no trace: counting is off).  The
 * collector opens its trace and starts here (collector.c), so that this
 * file need not know it.
 */
void opc_registry_set_hook(int (*before_add)(void));

/* The first intercepted call or layer push of a thread: its state, or NULL
 * (counting is off, or no memory). */
struct opc_thread *opc_thread_attach(void);

/*
 * Time in layer regions (layer.c): thread t's innermost region becomes
 * `layer` (0: none).  The time since its last switch goes to the region
 * key of the layer it leaves; `entered` counts an entry (a push).
 */
void opc_region_switch(struct opc_thread *t, uint32_t layer, int entered);
void opc_thread_free(struct opc_thread *t);

/* ---- for the collector, with the registry lock held ---- */
void opc_registry_lock(void);
void opc_registry_unlock(void);
/* Sleep on cond until deadline (CLOCK_MONOTONIC) or a signal of it, the
 * registry lock released meanwhile. */
void opc_registry_wait(pthread_cond_t *cond, const struct timespec *deadline);
/* the registered threads, newest first, linked by ->next */
struct opc_thread *opc_registry_threads(void);
/* threads registered since the start (or the fork) */
uint64_t opc_registry_seen(void);
/* Unlinks the threads that were dead before the last harvest read them
 * (h_dead), hands each to release, and frees it. */
void opc_registry_reap(void (*release)(struct opc_thread *t));

/*
 * In a forked child, where only the forking thread runs (the collector's
 * fork handlers hold the registry lock over the fork): the lock is made
 * anew, every other thread's state is freed, and this one's keys are
 * forgotten; it registers again at its next call, its layers kept.
 * forget(t) is called first for every thread, for what the child must
 * drop without using it (GPU events).
 */
void opc_registry_atfork_child(void (*forget)(struct opc_thread *t));

#endif
