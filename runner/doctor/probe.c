/*
 * sg-probe: run inside the sandbox by `sockgrade doctor` and by the tests, it
 * tries one thing the sandbox must allow or refuse and prints what happened,
 * one "name: outcome" line per attempt (outcome: "allowed" or the errno name).
 *
 *   sg-probe seccomp            every call the seccomp filter refuses
 *   sg-probe normal             what a socket exercise needs (socket, bind, sendto, fork, threads)
 *   sg-probe echo PORT          answer one datagram on [::1]:PORT, then exit
 *   sg-probe connect PORT       TCP connect to 127.0.0.1:PORT (the host's loopback)
 *   sg-probe memory MB          allocate and touch MB MiB
 *   sg-probe fork N             start N children that wait
 *   sg-probe write MB           write MB MiB into ./big
 *   sg-probe i386               a syscall through the i386 ABI (x86_64 only): the filter kills
 *
 * Built in the sandbox itself (the build step runs under the same filter).
 * Arguments are chosen so that, without the filter, each refused call would
 * succeed or fail with another errno than the one the filter returns; but
 * clone(CLONE_NEWNET), pivot_root, move_mount, fsopen, fsmount and fspick check the caller's
 * privilege first, so in bwrap's namespaces they fail with EPERM either way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EFBIG: return "EFBIG";
    case ENOKEY: return "ENOKEY";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EACCES: return "EACCES";
    default: return strerror(e);
    }
}

/* Prints the outcome of a call from its return value and errno. */
static void report(const char *name, long ret) {
    if (ret < 0) printf("%s: %s\n", name, errname(errno));
    else printf("%s: allowed\n", name);
    fflush(stdout);
}

static void try_clone(const char *name, unsigned long flags) {
    long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r > 0) waitpid((pid_t)r, NULL, 0);
    report(name, r);
}

#ifdef SYS_clone3
struct clone3_args { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; };
static void try_clone3(void) {
    struct clone3_args a;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) _exit(0);
    if (r > 0) waitpid((pid_t)r, NULL, 0);
    report("clone3", r);
}
#endif

static int seccomp_rules(void) {
    /* Keyrings: read the session keyring's id, add a key to it, look one up. */
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
    report("add_key", syscall(SYS_add_key, "user", "sg-probe", "x", 1, -3));
    report("request_key", syscall(SYS_request_key, "user", "sg-probe", NULL, 0));
    /* Namespaces: bwrap's user namespace allows nested ones without the filter
     * (unshare comes last: once in a new user namespace, the rest would differ). */
    report("setns", setns(-1, 0));
    try_clone("clone-newuser", CLONE_NEWUSER);
    try_clone("clone-newnet", CLONE_NEWNET);
    try_clone("clone-plain", 0);
#ifdef SYS_clone3
    try_clone3();
#endif
    /* Mounts: arguments the kernel would reject before any permission check. */
    report("mount", mount("none", "/tmp", (const char *)1, 0, NULL));
    report("umount2", umount2("/tmp", 0x7fff0000));
    report("pivot_root", syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
#ifdef SYS_open_tree
    report("open_tree", syscall(SYS_open_tree, -1, "", 0x7fff0000));
    report("move_mount", syscall(SYS_move_mount, -1, "", -1, "", 0x7fff0000));
    report("fsopen", syscall(SYS_fsopen, "tmpfs", 0x7fff0000));
    report("fsconfig", syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0));
    report("fsmount", syscall(SYS_fsmount, -1, 0x7fff0000, 0));
    report("fspick", syscall(SYS_fspick, -1, "", 0x7fff0000));
#endif
#ifdef SYS_mount_setattr
    report("mount_setattr", syscall(SYS_mount_setattr, -1, "", 0x7fff0000, NULL, 0));
#endif
    /* An unknown command, a NULL attribute, user-mode-only faults. */
    report("bpf", syscall(SYS_bpf, 9999, NULL, 0));
    report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    report("userfaultfd", syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */ | O_CLOEXEC));
    /* A NULL parameter block (EFAULT unfiltered); a ring that does not exist (EBADF). */
#ifdef SYS_io_uring_setup
    report("io_uring_setup", syscall(SYS_io_uring_setup, 4, NULL));
    report("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
#endif
    report("unshare", unshare(CLONE_NEWUSER));
    return 0;
}

static void *thread_main(void *arg) { return arg; }

static int normal(void) {
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    report("socket", s);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    report("bind", bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    report("sendto", sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof a));
    char buf[16];
    report("recvfrom", recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p > 0) waitpid(p, NULL, 0);
    report("fork", p);
    pthread_t t;
    int e = pthread_create(&t, NULL, thread_main, NULL);
    if (e == 0) pthread_join(t, NULL);
    errno = e;
    report("pthread_create", e ? -1 : 0);
    return 0;
}

static int echo(int port) {
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT, .sin6_port = htons(port) };
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 1; }
    char buf[512];
    struct sockaddr_in6 from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) { perror("recvfrom"); return 1; }
    sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    return 0;
}

static int connect_host(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    report("connect", connect(s, (struct sockaddr *)&a, sizeof a));
    return 0;
}

static int memory(long mb) {
    size_t n = (size_t)mb << 20;
    char *p = malloc(n);
    if (!p) { errno = ENOMEM; report("malloc", -1); return 0; }
    memset(p, 1, n);
    report("malloc", 0);
    return 0;
}

static int fork_many(int n) {
    int made = 0;
    for (; made < n; made++) {
        pid_t p = fork();
        if (p == 0) { pause(); _exit(0); }
        if (p < 0) break;
    }
    printf("forked: %d\n", made);
    report("fork", made < n ? -1 : 0);
    return 0;
}

static int write_big(long mb) {
    signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal: a line to read */
    int fd = open("big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static char block[1 << 16];
    long total = mb << 20, done = 0;
    while (done < total) {
        ssize_t w = write(fd, block, sizeof block);
        if (w <= 0) break;
        done += w;
    }
    report("write", done < total ? -1 : 0);
    return 0;
}

/* getpid through int 0x80: the i386 numbers, which the filter cannot tell apart. */
static int i386_syscall(void) {
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    printf("i386 getpid: %ld\n", ret);
    return 0;
#else
    printf("i386: not this arch\n");
    return 0;
#endif
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    long arg = argc > 2 ? atol(argv[2]) : 0;
    if (!strcmp(what, "seccomp")) return seccomp_rules();
    if (!strcmp(what, "normal")) return normal();
    if (!strcmp(what, "echo")) return echo((int)arg);
    if (!strcmp(what, "connect")) return connect_host((int)arg);
    if (!strcmp(what, "memory")) return memory(arg);
    if (!strcmp(what, "fork")) return fork_many((int)arg);
    if (!strcmp(what, "write")) return write_big(arg);
    if (!strcmp(what, "i386")) return i386_syscall();
    fprintf(stderr, "usage: sg-probe seccomp|normal|echo PORT|connect PORT|memory MB|fork N|write MB|i386\n");
    return 2;
}
