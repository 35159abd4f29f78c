/*
 * What every function-task harness (tasks/<task>/harness.c) is made of. A
 * harness is trusted code, compiled on the host (never in the student's
 * build), run in the sandbox as:
 *
 *   harness LIBRARY FUNCTION TASK-ARGS...
 *
 * It takes the run's nonce, loads the student's compiled file (LIBRARY) only
 * then, calls FUNCTION and REPORTS what happened on the report channel, one
 * line each, prefixed with the nonce:
 *
 *   harness loaded | harness load-error MSG | harness missing NAME
 *   harness calling | harness returned R | harness result V | harness result-untouched
 *
 * It never judges: expected values live in the task's tests.yaml.
 *
 * Why in this order: the nonce is read (fd 7) and fd 7 closed before any of
 * the student's code exists in the process; the library is opened with
 * RTLD_LOCAL, so nothing it defines can replace a function the harness calls;
 * the nonce then sits in a page with no access rights while the student's
 * code runs. Code that deliberately reads the process's memory through
 * /proc/self/mem, or re-enables that page, could still find it: that is the
 * documented residual risk (docs/function-tasks.md).
 */
#ifndef SOCKGRADE_HARNESS_H
#define SOCKGRADE_HARNESS_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SG_REPORT_FD 5
#define SG_NONCE_FD 7
#define SG_NONCE_LEN 32
/* Exit status of a harness that could not do its job (bad arguments, no library). */
#define SG_EXIT_HARNESS 3

static char *sg_nonce_page;

static void sg_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sg_report(const char *fmt, ...) {
    char line[1024];
    if (!sg_nonce_page) return;
    mprotect(sg_nonce_page, 4096, PROT_READ);
    memcpy(line, sg_nonce_page, SG_NONCE_LEN);
    mprotect(sg_nonce_page, 4096, PROT_NONE);
    memcpy(line + SG_NONCE_LEN, " harness ", 9);
    size_t head = SG_NONCE_LEN + 9;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
    va_end(ap);
    size_t len = head + (n < 0 ? 0 : (size_t)n < sizeof line - head - 1 ? (size_t)n : sizeof line - head - 2);
    for (size_t i = head; i < len; i++)
        if (line[i] == '\n') line[i] = ' ';
    line[len++] = '\n';
    /* Raw system call: whatever the program did to write(), this line goes out. */
    syscall(SYS_write, SG_REPORT_FD, line, len);
    explicit_bzero(line, SG_NONCE_LEN); /* memset could be optimised away */
}

struct sg_run {
    void *library;
    void *function;
    /* The task's own arguments (after LIBRARY and FUNCTION). */
    int argc;
    char **argv;
};

/* Takes the nonce, then loads the student's library and finds FUNCTION in it. */
static struct sg_run sg_start(int argc, char **argv) {
    struct sg_run run = {0};
    sg_nonce_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sg_nonce_page == MAP_FAILED) _exit(SG_EXIT_HARNESS);
    size_t got = 0;
    while (got < SG_NONCE_LEN) {
        long r = syscall(SYS_read, SG_NONCE_FD, sg_nonce_page + got, SG_NONCE_LEN - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    syscall(SYS_close, SG_NONCE_FD);
    if (got != SG_NONCE_LEN) memset(sg_nonce_page, '-', SG_NONCE_LEN); /* run by hand: nothing to authenticate */
    mprotect(sg_nonce_page, 4096, PROT_NONE);
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBRARY FUNCTION ARGS...\n", argv[0]);
        _exit(SG_EXIT_HARNESS);
    }
    run.library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!run.library) {
        sg_report("load-error %s", dlerror());
        _exit(SG_EXIT_HARNESS);
    }
    run.function = dlsym(run.library, argv[2]);
    if (!run.function) {
        sg_report("missing %s", argv[2]);
        _exit(SG_EXIT_HARNESS);
    }
    sg_report("loaded");
    run.argc = argc - 3;
    run.argv = argv + 3;
    return run;
}

/* The task argument at `i`, or the harness stops: a task bug, not the student's. */
static const char *sg_arg(const struct sg_run *run, int i) {
    if (i >= run->argc) {
        fprintf(stderr, "harness: task argument %d missing\n", i);
        _exit(SG_EXIT_HARNESS);
    }
    return run->argv[i];
}

/* [::1]:port, the address the grader's peer uses. */
static struct sockaddr_in6 sg_loopback(const char *port) {
    struct sockaddr_in6 addr;
    memset(&addr, 0, sizeof addr);
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons((unsigned short)atoi(port));
    addr.sin6_addr = in6addr_loopback;
    return addr;
}

static void sg_calling(void) { sg_report("calling"); }

static void sg_returned(int r) { sg_report("returned %d", r); }

#endif
