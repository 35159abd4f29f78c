/*
 * sg-launch: the last step before untrusted code runs.
 *
 *   sg-launch META_FD CPU_S AS_BYTES NPROC FSIZE_BYTES NOFILE -- CMD ARGS...
 *
 * Sets the resource limits, runs CMD as a child, waits for it and writes one
 * JSON line on META_FD (an isolate-style meta record): exit code or signal,
 * CPU time and peak memory of everything the program ran and reaped. The
 * program itself never inherits META_FD, so it cannot forge the record.
 * A limit of 0 means "leave as is".
 *
 * Before anything runs it also joins a fresh, empty session keyring (the
 * program must not read or leave keys in the grader's) and installs a seccomp
 * filter that refuses the kernel interfaces a grading sandbox has
 * no use for: keyrings, new namespaces, mounts, bpf, perf, userfaultfd, io_uring.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1 /* <linux/keyctl.h>, without needing libkeyutils */

/* The filter is written here rather than in a header of its own: the launcher
 * is cached by a hash of this file alone (runner/sandbox/native.ts). */
#if defined(__x86_64__)
#define SG_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SG_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "sg-launch: seccomp filter written for x86_64 and aarch64 only"
#endif

#define SG_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
/* Refuse syscall NR with errno E: two instructions, no far jumps. */
#define SG_REFUSE(nr, e) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SG_ERRNO(e))

/* clone() flags that make a namespace; CLONE_NEWTIME is left out on purpose:
 * for clone() that bit is part of the exit signal, and clone() cannot make one. */
#define SG_NAMESPACE_FLAGS \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Little-endian (both supported arches): the low word of the first argument. */
#define SG_ARG0_LOW offsetof(struct seccomp_data, args[0])

static struct sock_filter seccomp_program[] = {
    /* A syscall made with another ABI (i386 int 0x80 on x86_64) would have
     * other numbers than the ones below: such a process is killed. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SG_AUDIT_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
    /* x32 syscalls are the x86_64 arch with bit 30 set in the number. */
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SG_ERRNO(EPERM)),
#endif
    /* The kernel keyrings. */
    SG_REFUSE(__NR_keyctl, EPERM),
    SG_REFUSE(__NR_add_key, EPERM),
    SG_REFUSE(__NR_request_key, EPERM),
    /* New namespaces, a user namespace above all (unshare -Ur gives root in it). */
    SG_REFUSE(__NR_unshare, EPERM),
    SG_REFUSE(__NR_setns, EPERM),
#ifdef __NR_clone3
    /* Its flags are behind a pointer, out of the filter's sight: ENOSYS makes
     * glibc (threads, posix_spawn) fall back to clone(), checked below. */
    SG_REFUSE(__NR_clone3, ENOSYS),
#endif
    /* Mounts, old API and new. */
    SG_REFUSE(__NR_mount, EPERM),
    SG_REFUSE(__NR_umount2, EPERM),
    SG_REFUSE(__NR_pivot_root, EPERM),
#ifdef __NR_open_tree
    SG_REFUSE(__NR_open_tree, EPERM),
    SG_REFUSE(__NR_move_mount, EPERM),
    SG_REFUSE(__NR_fsopen, EPERM),
    SG_REFUSE(__NR_fsconfig, EPERM),
    SG_REFUSE(__NR_fsmount, EPERM),
    SG_REFUSE(__NR_fspick, EPERM),
#endif
#ifdef __NR_mount_setattr
    SG_REFUSE(__NR_mount_setattr, EPERM),
#endif
    /* Kernel attack surface a socket exercise never needs. */
    SG_REFUSE(__NR_bpf, EPERM),
    SG_REFUSE(__NR_perf_event_open, EPERM),
    SG_REFUSE(__NR_userfaultfd, EPERM),
    /* io_uring: its operations (socket, connect, openat...) run in kernel
     * workers, unseen by this filter, and it has been a steady source of kernel
     * exploits; a socket exercise needs the plain calls only. */
#ifdef __NR_io_uring_setup
    SG_REFUSE(__NR_io_uring_setup, EPERM),
    SG_REFUSE(__NR_io_uring_enter, EPERM),
    SG_REFUSE(__NR_io_uring_register, EPERM),
#endif
    /* clone(): allowed unless it asks for a namespace. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SG_ARG0_LOW),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SG_NAMESPACE_FLAGS, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SG_ERRNO(EPERM)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* NULL on success, else the step that failed (errno says why). */
static const char *install_seccomp_filter(void) {
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof seccomp_program / sizeof seccomp_program[0]),
        .filter = seccomp_program,
    };
    /* Required to install a filter without privileges; it also means no
     * set-uid program inside can gain any. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "PR_SET_NO_NEW_PRIVS";
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return "PR_SET_SECCOMP";
    return NULL;
}

static void set_limit(int resource, unsigned long long soft, unsigned long long hard) {
    if (soft == 0) return;
    struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
    if (setrlimit(resource, &rl) != 0) {
        fprintf(stderr, "sg-launch: setrlimit(%d): %s\n", resource, strerror(errno));
        _exit(125);
    }
}

static long long ms(struct timeval tv) { return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000; }

int main(int argc, char **argv) {
    if (argc < 9 || strcmp(argv[7], "--") != 0) {
        fprintf(stderr, "usage: sg-launch META_FD CPU_S AS_BYTES NPROC FSIZE NOFILE -- CMD ARGS...\n");
        return 125;
    }
    int meta_fd = atoi(argv[1]);
    unsigned long long cpu = strtoull(argv[2], NULL, 10);
    unsigned long long as = strtoull(argv[3], NULL, 10);
    unsigned long long nproc = strtoull(argv[4], NULL, 10);
    unsigned long long fsize = strtoull(argv[5], NULL, 10);
    unsigned long long nofile = strtoull(argv[6], NULL, 10);
    char **cmd = argv + 8;

    /* Not dumpable: the program runs as the same uid, and must not be able to
     * trace this process or take its descriptors (pidfd_getfd) to forge or
     * suppress the meta record. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fcntl(meta_fd, F_SETFD, FD_CLOEXEC);
    /* A new anonymous session keyring: the grader's (a login session's, a
     * service's, a container's) is no longer ours, so neither its keys nor a
     * key the program leaves behind are shared. ENOSYS (no keyrings in this
     * kernel) and EPERM (a filter around sockgrade refuses keyctl, and so
     * refuses it to the program too) leave nothing to share; any other
     * failure is fatal: a sandbox without it must not look like a working one. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS && errno != EPERM) {
        fprintf(stderr, "sg-launch: cannot join a fresh session keyring: %s\n", strerror(errno));
        return 125;
    }
    /* Here, before the fork, so a failure is the sandbox's (no "started" yet);
     * nothing the launcher itself does afterwards is refused by the filter. */
    const char *why = install_seccomp_filter();
    if (why) {
        fprintf(stderr, "sg-launch: cannot install the seccomp filter: %s: %s\n", why, strerror(errno));
        return 125;
    }
    /* Said before the program runs: from here on, any failure is the program's,
     * never the sandbox's (see sandboxFailed in runner/job/main.ts). */
    if (write(meta_fd, "{\"started\":1}\n", 14) < 0) return 125;
    /* The exec-error pipe: closed by a successful exec, carries errno otherwise. */
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return 125;

    /* CPU: SIGXCPU at the soft limit, SIGKILL one second later. */
    set_limit(RLIMIT_CPU, cpu, cpu + 1);
    set_limit(RLIMIT_AS, as, as);
    set_limit(RLIMIT_NPROC, nproc, nproc);
    set_limit(RLIMIT_FSIZE, fsize, fsize);
    set_limit(RLIMIT_NOFILE, nofile, nofile);
    set_limit(RLIMIT_CORE, 1, 1); /* 0 would mean "leave as is": 1 byte writes no core */

    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        close(errpipe[0]);
        /* Only stdin/out/err reach the program, and fds 5-7 when it carries the
         * report channel: never a descriptor inherited from whoever started us.
         * Everything from 3 up closes at exec (the exec-error pipe must stay
         * open until then, wherever it landed). */
        int keep_report = getenv("SG_REPORT_CHANNEL") != NULL;
        unsetenv("SG_REPORT_CHANNEL");
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
            for (int fd = 3; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (keep_report)
            for (int fd = 5; fd <= 7; fd++) fcntl(fd, F_SETFD, 0);
        signal(SIGPIPE, SIG_DFL);
        /* Preloads are for the program, not for sg-launch: they arrive as SG_LD_PRELOAD. */
        const char *preload = getenv("SG_LD_PRELOAD");
        if (preload) {
            setenv("LD_PRELOAD", preload, 1);
            unsetenv("SG_LD_PRELOAD");
        }
        execvp(cmd[0], cmd);
        int e = errno;
        if (write(errpipe[1], &e, sizeof e) < 0) { /* nothing left to tell */ }
        _exit(127);
    }
    close(errpipe[1]);
    int exec_errno = 0;
    ssize_t got = read(errpipe[0], &exec_errno, sizeof exec_errno);
    if (got != (ssize_t)sizeof exec_errno) exec_errno = 0;

    /* As pid 1 of the sandbox, orphans are ours to reap: loop until the
     * program itself ends, so none lingers as a zombie counted against it. */
    int status = 0;
    for (;;) {
        int st = 0;
        pid_t w = waitpid(-1, &st, 0);
        if (w == pid) { status = st; break; }
        if (w < 0 && errno != EINTR) break;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);

    char line[512];
    int n;
    long long cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
    if (exec_errno != 0) {
        n = snprintf(line, sizeof line, "{\"exec_error\":\"%s\",\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n",
                     strerror(exec_errno), cpu_ms, ru.ru_maxrss);
    } else if (WIFSIGNALED(status)) {
        n = snprintf(line, sizeof line, "{\"signal\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n",
                     WTERMSIG(status), cpu_ms, ru.ru_maxrss);
    } else {
        n = snprintf(line, sizeof line, "{\"exit\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n",
                     WEXITSTATUS(status), cpu_ms, ru.ru_maxrss);
    }
    if (n > 0 && write(meta_fd, line, (size_t)n) < 0) { /* the job sees no meta */ }
    if (exec_errno != 0) return 127;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
