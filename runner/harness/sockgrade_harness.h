/*
 * What every function-task harness (tasks/<task>/harness.c) is made of. A
 * harness is trusted code, compiled on the host (never in the student's
 * build), run in the sandbox as:
 *
 *   harness LIBRARY FUNCTION TASK-ARGS...
 *
 * Two processes. sg_start forks at once:
 *
 * - the PARENT never loads the student's code. It alone reads the run's
 *   nonce (fd 7, after the fork: the child's memory never held it), holds the
 *   report channel (fd 5), and writes the report, one line each, prefixed
 *   with the nonce:
 *
 *     harness failed MSG (the harness's own failure: it then exits 3)
 *     harness loaded | harness load-error MSG | harness missing NAME
 *     harness calling | harness returned R | harness open-sockets FD... | harness result V
 *     harness result-untouched
 *
 *   It waits for the child (waitpid) and then ends as the child ended (same
 *   exit status, same signal), unless the function returned: then it exits 0.
 *
 * - the CHILD (sg_start returns in it only) gives up fds 5-7, gets a pipe to
 *   the parent as its fd 5, and runs the rest of harness.c: the task's
 *   arguments, sg_load (dlopen: from here on the student's code is in this
 *   process), the call, sg_returned, sg_done. Its lines on that pipe
 *   ("harness returned 0", and the faults shim's "NONCE call ..." lines,
 *   which go to fd 5 as before) are data to the parent: it checks each
 *   against what may come next and forwards only those, rewritten by itself.
 *
 * What the student's code can then say is what its function could say
 * anyway (what it returned, what it stored in *result); it can no longer
 * write a line with the harness's nonce, nor make its own exit() or crash
 * pass for the harness's failure: "failed" is taken from the child only
 * before it starts loading the student's file. It never judges: expected
 * values live in the task's tests.yaml.
 */
#ifndef SOCKGRADE_HARNESS_H
#define SOCKGRADE_HARNESS_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SG_REPORT_FD 5
#define SG_SHIM_FD 6
#define SG_NONCE_FD 7
#define SG_NONCE_LEN 32
/* Exit status of a harness that could not do its job (bad arguments, no fork). */
#define SG_EXIT_HARNESS 3
/* A child's line longer than this is dropped (the shim's and ours are far shorter). */
#define SG_LINE_MAX 1024
/* What the parent reads of the child after the child is gone (a grandchild may keep writing). */
#define SG_DRAIN_MAX (64 * 1024)

/* write(2) without libc: no GOT slot or PLT stub that code in the process could redirect. */
static long sg_raw_write(int fd, const void *buf, size_t len) {
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_write), "D"((long)fd), "S"(buf), "d"(len) : "rcx", "r11", "memory");
    return ret;
#else
    return syscall(SYS_write, fd, buf, len);
#endif
}

/* The child's nonce: made by the parent before the fork, so both hold it. In the
 * child its page has no access rights except while a line is written; it only
 * vouches for what the child says (what the function returned), never for the
 * harness's own failure or for how the child ended. */
static char *sg_child_nonce;

/* ------------------------------------------------------------------ parent */

static char *sg_nonce_page;

/* Reads the nonce into a page of its own, which then has no access rights. */
static void sg_take_nonce(void) {
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
}

/* The parent is the report channel's only writer: its lines go out in batches (one
 * write per chunk read from the child, not one per line: a function that calls
 * send() in a loop must not wait on the relay). */
static char sg_out[64 * 1024];
static size_t sg_out_len;

static void sg_flush(void) {
    for (size_t done = 0; done < sg_out_len;) {
        long r = sg_raw_write(SG_REPORT_FD, sg_out + done, sg_out_len - done);
        if (r == -EINTR) continue;
        if (r <= 0) break; /* the runner is gone: nobody left to tell */
        done += (size_t)r;
    }
    sg_out_len = 0;
}

static void sg_emit(const char *line, size_t len) {
    if (sg_out_len + len > sizeof sg_out) sg_flush();
    memcpy(sg_out + sg_out_len, line, len);
    sg_out_len += len;
}

/*
 * Writes " harness TEXT\n" into `line` after `at` bytes left for the nonce
 * (filled in by the caller), TEXT cut to fit and kept on one line; returns the
 * line's length. Shared by the parent's lines and the child's.
 */
static size_t sg_format_line(char *line, size_t size, size_t at, const char *fmt, va_list ap) {
    memcpy(line + at, " harness ", 9);
    size_t head = at + 9;
    int n = vsnprintf(line + head, size - head - 1, fmt, ap);
    size_t len = head + (n < 0 ? 0 : (size_t)n < size - head - 1 ? (size_t)n : size - head - 2);
    for (size_t i = head; i < len; i++)
        if (line[i] == '\n') line[i] = ' ';
    line[len++] = '\n';
    return len;
}

/* "NONCE harness TEXT\n" on the report channel: the parent's lines only. */
static void sg_parent_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sg_parent_report(const char *fmt, ...) {
    char line[SG_LINE_MAX + 64];
    if (!sg_nonce_page) return;
    mprotect(sg_nonce_page, 4096, PROT_READ);
    memcpy(line, sg_nonce_page, SG_NONCE_LEN);
    mprotect(sg_nonce_page, 4096, PROT_NONE);
    va_list ap;
    va_start(ap, fmt);
    size_t len = sg_format_line(line, sizeof line, SG_NONCE_LEN, fmt, ap);
    va_end(ap);
    sg_emit(line, len);
    explicit_bzero(line, SG_NONCE_LEN); /* memset could be optimised away */
}

static pid_t sg_child;

/* The harness's own failure: decided here, in the process that never ran the student's code. */
static void sg_parent_fail(const char *what) __attribute__((noreturn));
static void sg_parent_fail(const char *what) {
    sg_parent_report("failed %s", what);
    sg_flush();
    if (sg_child > 0) kill(sg_child, SIGKILL);
    _exit(SG_EXIT_HARNESS);
}

/* What the parent has heard from the child, in the only order it accepts. */
enum sg_stage { SG_STARTED, SG_LOADING, SG_LOADED, SG_CALLED, SG_RETURNED, SG_REPORTED, SG_DONE, SG_NOT_LOADED };

/* Printable ASCII only: the child's text goes into the report as data. */
static void sg_printable(char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e) s[i] = '?';
}

/* At most this many descriptors are named in "open-sockets" (more are cut). */
#define SG_OPEN_MAX 16

/* A whole decimal number in [min, max], nothing else. */
static int sg_number(const char *s, long long min, long long max, long long *out) {
    if (!*s || strlen(s) > 12) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max || !(*s == '-' || (*s >= '0' && *s <= '9'))) return 0;
    *out = v;
    return 1;
}

/* The faults shim's line: 32 lowercase hex digits, then " call " or " enter ". Forwarded as
 * it is (the runner checks the shim's nonce); whatever came before it on the line is dropped. */
static int sg_forward_shim_line(char *line, size_t len) {
    for (size_t i = 0; i + SG_NONCE_LEN + 7 <= len; i++) {
        size_t k = 0;
        while (k < SG_NONCE_LEN && ((line[i + k] >= '0' && line[i + k] <= '9') || (line[i + k] >= 'a' && line[i + k] <= 'f'))) k++;
        if (k < SG_NONCE_LEN) continue;
        const char *rest = line + i + SG_NONCE_LEN;
        if (strncmp(rest, " call ", 6) != 0 && strncmp(rest, " enter ", 7) != 0) continue;
        sg_printable(line + i, len - i);
        line[len] = '\n';
        sg_emit(line + i, len - i + 1);
        return 1;
    }
    return 0;
}

/* "open-sockets": descriptor numbers or "none", checked and rewritten (nothing if malformed). */
static void sg_parent_open_sockets(char *rest) {
    char out[SG_OPEN_MAX * 8 + 8] = "";
    size_t used = 0;
    int n = 0;
    for (char *save = NULL, *word = strtok_r(rest, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
        long long fd;
        if (strcmp(word, "none") == 0 && n == 0) continue;
        if (!sg_number(word, 0, 1 << 20, &fd) || n == SG_OPEN_MAX) return;
        used += (size_t)snprintf(out + used, sizeof out - used, " %lld", fd);
        n++;
    }
    sg_parent_report("open-sockets%s", n ? out : " none");
}

/* One line from the child (NUL-terminated at len, room for one more byte). */
static void sg_parent_line(char *line, size_t len, enum sg_stage *stage) {
    static int open_said;
    if (sg_forward_shim_line(line, len)) return;
    char prefix[SG_NONCE_LEN + 10];
    memcpy(prefix, sg_child_nonce, SG_NONCE_LEN);
    memcpy(prefix + SG_NONCE_LEN, " harness ", 10);
    char *at = strstr(line, prefix);
    if (!at) return; /* not the child's harness code: the student's own writing */
    char *word = at + SG_NONCE_LEN + 9;
    char *rest = strchr(word, ' ');
    if (rest) *rest++ = '\0';
    else rest = word + strlen(word);
    sg_printable(rest, strlen(rest));
    long long v;
    if (strcmp(word, "failed") == 0 && *stage == SG_STARTED) {
        sg_parent_fail(rest); /* before "loading": only the harness's own code has run */
    } else if (strcmp(word, "loading") == 0 && *stage == SG_STARTED) {
        *stage = SG_LOADING;
    } else if (strcmp(word, "loaded") == 0 && *stage == SG_LOADING) {
        sg_parent_report("loaded");
        *stage = SG_LOADED;
    } else if ((strcmp(word, "load-error") == 0 || strcmp(word, "missing") == 0) && *stage == SG_LOADING) {
        sg_parent_report("%s %s", word, rest);
        *stage = SG_NOT_LOADED;
    } else if (strcmp(word, "calling") == 0 && *stage == SG_LOADED) {
        sg_parent_report("calling");
        *stage = SG_CALLED;
    } else if (strcmp(word, "returned") == 0 && *stage == SG_CALLED && sg_number(rest, INT_MIN, INT_MAX, &v)) {
        sg_parent_report("returned %lld", v);
        *stage = SG_RETURNED;
    } else if (strcmp(word, "open-sockets") == 0 && *stage == SG_RETURNED && !open_said) {
        open_said = 1; /* once: the child's harness code says it right after "returned" */
        sg_parent_open_sockets(rest);
    } else if (strcmp(word, "result") == 0 && *stage == SG_RETURNED && sg_number(rest, 0, 0xffffffffLL, &v)) {
        sg_parent_report("result %lld", v);
        *stage = SG_REPORTED;
    } else if (strcmp(word, "result-untouched") == 0 && *stage == SG_RETURNED) {
        sg_parent_report("result-untouched");
        *stage = SG_REPORTED;
    } else if (strcmp(word, "done") == 0 && (*stage == SG_RETURNED || *stage == SG_REPORTED)) {
        /* Nothing of the child matters after this: if the student's code said it, it stops here. */
        *stage = SG_DONE;
        kill(sg_child, SIGKILL);
    }
}

/* Splits what came from the child into lines; an overlong line is dropped whole. */
struct sg_lines {
    char buf[SG_LINE_MAX + 1];
    size_t have;
    int skipping;
};

static void sg_parent_take(struct sg_lines *in, const char *data, size_t n, enum sg_stage *stage) {
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\n') {
            if (!in->skipping) {
                in->buf[in->have] = '\0';
                sg_parent_line(in->buf, in->have, stage);
            }
            in->have = 0;
            in->skipping = 0;
        } else if (!in->skipping) {
            if (in->have == SG_LINE_MAX - 1) {
                in->skipping = 1;
                in->have = 0;
            } else {
                in->buf[in->have++] = c;
            }
        }
    }
}

static void sg_on_child(int sig) { (void)sig; } /* only to interrupt ppoll */

/* The parent's whole life after the fork: relays the child's lines, then ends as it did. */
static void sg_parent_run(int from) __attribute__((noreturn));
static void sg_parent_run(int from) {
    static struct sg_lines in;
    static char chunk[64 * 1024];
    enum sg_stage stage = SG_STARTED;
    sigset_t during_wait;
    sigprocmask(SIG_SETMASK, NULL, &during_wait);
    sigdelset(&during_wait, SIGCHLD);
    int status = 0, open = 1;
    for (;;) {
        pid_t w = waitpid(sg_child, &status, WNOHANG);
        if (w == sg_child) break;
        if (w < 0 && errno != EINTR) sg_parent_fail("waitpid failed");
        struct pollfd p = { .fd = from, .events = POLLIN, .revents = 0 };
        /* SIGCHLD is blocked except during this wait: a child that ends is never missed. */
        int ready = ppoll(open ? &p : NULL, open ? 1 : 0, NULL, &during_wait);
        if (ready <= 0 || !open) continue;
        long r = syscall(SYS_read, from, chunk, sizeof chunk);
        if (r > 0) sg_parent_take(&in, chunk, (size_t)r, &stage);
        else if (r == 0 || errno != EINTR) open = 0;
        sg_flush();
    }
    /* What the child wrote before it ended is in the pipe: read it, but not forever. */
    fcntl(from, F_SETFL, O_NONBLOCK);
    for (size_t drained = 0; open && drained < SG_DRAIN_MAX;) {
        long r = syscall(SYS_read, from, chunk, sizeof chunk);
        if (r <= 0) break;
        drained += (size_t)r;
        sg_parent_take(&in, chunk, (size_t)r, &stage);
    }
    sg_flush();
    if (stage == SG_RETURNED || stage == SG_REPORTED || stage == SG_DONE) _exit(0);
    /* The function did not return: the program ends as the child did (the verdict reads the
     * status or the signal). Not dumpable and RLIMIT_CORE: no core file. */
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

/* ------------------------------------------------------------------- child */

struct sg_run {
    const char *library_path;
    const char *function_name;
    /* The task's own arguments (after LIBRARY and FUNCTION). */
    int argc;
    char **argv;
};

/* "\nNONCE harness TEXT\n" to the parent (the child's nonce); the leading newline
 * ends any bytes the student's code left without one. */
static void sg_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sg_report(const char *fmt, ...) {
    char line[SG_LINE_MAX - 64];
    line[0] = '\n';
    va_list ap;
    va_start(ap, fmt);
    size_t len = sg_format_line(line, sizeof line, 1 + SG_NONCE_LEN, fmt, ap);
    va_end(ap);
    mprotect(sg_child_nonce, 4096, PROT_READ);
    memcpy(line + 1, sg_child_nonce, SG_NONCE_LEN);
    mprotect(sg_child_nonce, 4096, PROT_NONE);
    sg_raw_write(SG_REPORT_FD, line, len);
    explicit_bzero(line, 1 + SG_NONCE_LEN);
}

/* A task bug found before the student's file is loaded: the parent reports it as the harness's. */
static void sg_fail(const char *what) __attribute__((noreturn));
static void sg_fail(const char *what) {
    sg_report("failed %s", what);
    _exit(SG_EXIT_HARNESS);
}

/* Forks; returns in the child only. The parent relays and reports until the child ends. */
static struct sg_run sg_start(int argc, char **argv) {
    struct sg_run run = {0};
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBRARY FUNCTION ARGS...\n", argv[0]);
        sg_take_nonce();
        sg_parent_fail("usage: harness LIBRARY FUNCTION ARGS...");
    }
    /* Not dumpable: a child of the same user can neither trace this process nor read its memory. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int link[2];
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    struct sigaction on_child = { .sa_handler = sg_on_child };
    sigaction(SIGCHLD, &on_child, NULL);
    sg_child_nonce = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sg_child_nonce == MAP_FAILED) {
        sg_take_nonce();
        sg_parent_fail("mmap failed");
    }
    unsigned char random[SG_NONCE_LEN / 2];
    if (syscall(SYS_getrandom, random, sizeof random, 0) != (long)sizeof random) {
        sg_take_nonce();
        sg_parent_fail("getrandom failed");
    }
    for (size_t i = 0; i < sizeof random; i++) {
        sg_child_nonce[2 * i] = "0123456789abcdef"[random[i] >> 4];
        sg_child_nonce[2 * i + 1] = "0123456789abcdef"[random[i] & 15];
    }
    explicit_bzero(random, sizeof random);
    if (pipe2(link, O_CLOEXEC) != 0) {
        sg_take_nonce();
        sg_parent_fail("pipe failed");
    }
    pid_t parent = getpid();
    sg_child = fork();
    if (sg_child < 0) {
        sg_take_nonce();
        sg_parent_fail("fork failed");
    }
    if (sg_child > 0) {
        close(link[1]);
        sg_take_nonce();
        sg_parent_run(link[0]);
    }
    /* The child: its nonce out of reach, none of the report channel's descriptors, the pipe
     * to the parent as fd 5. */
    mprotect(sg_child_nonce, 4096, PROT_NONE);
    syscall(SYS_close, SG_NONCE_FD);
    syscall(SYS_close, SG_SHIM_FD);
    if (dup2(link[1], SG_REPORT_FD) < 0) _exit(SG_EXIT_HARNESS); /* no line can reach the parent */
    close(link[0]);
    close(link[1]);
    struct sigaction plain = { .sa_handler = SIG_DFL };
    sigaction(SIGCHLD, &plain, NULL);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* the student's process is an ordinary one */
    /* Nothing reports for the child once the parent is gone (without a pid namespace too). */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(SG_EXIT_HARNESS);
    run.library_path = argv[1];
    run.function_name = argv[2];
    run.argc = argc - 3;
    run.argv = argv + 3;
    return run;
}

/* The task argument at `i`, or the harness stops: a task bug, not the student's. */
static const char *sg_arg(const struct sg_run *run, int i) {
    if (i >= run->argc) {
        fprintf(stderr, "harness: task argument %d missing\n", i);
        sg_fail("a task argument is missing");
    }
    return run->argv[i];
}

/* Loads the student's library and finds the function: the first student code runs here
 * (its constructors), so this comes after the task's arguments are read. */
static void *sg_load(const struct sg_run *run) {
    sg_report("loading");
    void *library = dlopen(run->library_path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        sg_report("load-error %s", dlerror());
        _exit(1);
    }
    void *function = dlsym(library, run->function_name);
    if (!function) {
        sg_report("missing %s", run->function_name);
        _exit(1);
    }
    sg_report("loaded");
    return function;
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

/*
 * The sockets of the child, seen by the kernel: which descriptors hold one,
 * and which socket (its inode). Taken when the function is called and again
 * when it returns; a socket there at the return and not at the call is one
 * the function left open (the report says so; the verdict judges).
 */
static ino_t sg_sockets_at_call[4096];

static int sg_fd_count(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > 4096) return 4096;
    return (int)rl.rlim_cur;
}

static ino_t sg_socket_at(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

static void sg_calling(void) {
    for (int fd = 0; fd < sg_fd_count(); fd++) sg_sockets_at_call[fd] = sg_socket_at(fd);
    sg_report("calling");
}

/* "returned R", then "open-sockets FD..." (or "none"): the sockets the function left open. */
static void sg_returned(int r) {
    sg_report("returned %d", r);
    char list[SG_OPEN_MAX * 8 + 8] = "";
    size_t used = 0;
    int n = 0;
    for (int fd = 0; fd < sg_fd_count() && n < SG_OPEN_MAX; fd++) {
        ino_t now = sg_socket_at(fd);
        if (now == 0 || now == sg_sockets_at_call[fd]) continue;
        used += (size_t)snprintf(list + used, sizeof list - used, " %d", fd);
        n++;
    }
    sg_report("open-sockets%s", n ? list : " none");
}

/* The end of the child: nothing the student's code left behind (destructors) runs after. */
static void sg_done(void) __attribute__((noreturn));
static void sg_done(void) {
    sg_report("done");
    _exit(0);
}

#endif
