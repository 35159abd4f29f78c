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
 *
 *   sg-launch --serve CONTROL_FD
 *
 * The kept sandbox (runner/sandbox/kept-sandbox.ts): one bwrap sandbox runs
 * one program after another, so that a start costs a fork and an exec, not a
 * sandbox's namespaces and mounts. Each run arrives as one message on the
 * control socket (a SOCK_SEQPACKET pair), with the run's descriptors (meta,
 * stdout, stderr, and the report channel's three when it has one) passed
 * along. Pid 1 joins its fresh keyring and installs the filter once, and
 * every run's child inherits both; the child then does what the one-shot
 * launcher does before the program: limits, descriptors, environment. When the
 * program ends, or the job asks it killed, pid 1 kills every process of the
 * sandbox but itself, reaps them, empties /tmp and /dev/shm, and only then
 * closes the run's meta descriptor: its end is the run's end for the job.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/*
 * What must hold before any program runs: a new anonymous session keyring
 * (the grader's, a login session's, a service's, a container's, is no longer
 * ours, so neither its keys nor a key the program leaves behind are shared;
 * ENOSYS, no keyrings in this kernel, and EPERM, a filter around sockgrade
 * refusing keyctl and so refusing it to the program too, leave nothing to
 * share, and any other failure is fatal: a sandbox without it must not look
 * like a working one), and the seccomp filter. 0, or -1 with why in `why`.
 */
static int harden(char *why, size_t size) {
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS && errno != EPERM) {
        snprintf(why, size, "sg-launch: cannot join a fresh session keyring: %s", strerror(errno));
        return -1;
    }
    const char *step = install_seccomp_filter();
    if (step) {
        snprintf(why, size, "sg-launch: cannot install the seccomp filter: %s: %s", step, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * The process about to become the program: hardened (`failure`, when not
 * NULL, is why that failed where it was done), then "started" on META_FD.
 * 0, or 125 after saying why on stderr: the sandbox's failure, never the
 * program's, since "started" was not said (see sandboxFailed in
 * runner/job/main.ts).
 */
static int enter_sandbox(int meta_fd, const char *failure) {
    if (failure && failure[0]) {
        fprintf(stderr, "%s\n", failure);
        return 125;
    }
    if (write(meta_fd, "{\"started\":1}\n", 14) < 0) return 125;
    return 0;
}

/* The limits as the command line and a kept sandbox's runs give them: CPU_S AS_BYTES NPROC FSIZE_BYTES NOFILE. */
static void set_limits(char **given) {
    unsigned long long l[5];
    for (int i = 0; i < 5; i++) l[i] = strtoull(given[i], NULL, 10);
    set_limit(RLIMIT_CPU, l[0], l[0] + 1); /* SIGXCPU at the soft limit, SIGKILL one second later */
    set_limit(RLIMIT_AS, l[1], l[1]);
    set_limit(RLIMIT_NPROC, l[2], l[2]);
    set_limit(RLIMIT_FSIZE, l[3], l[3]);
    set_limit(RLIMIT_NOFILE, l[4], l[4]);
    set_limit(RLIMIT_CORE, 1, 1); /* 0 would mean "leave as is": 1 byte writes no core */
}

/*
 * The program's own process, after the fork: only stdin/out/err reach the
 * program, and fds 5-7 when it carries the report channel, never a
 * descriptor inherited from whoever started us (everything from 3 up closes
 * at exec: the exec-error pipe must stay open until then, wherever it
 * landed).
 */
static void ready_for_exec(int keep_report) {
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        for (int fd = 3; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (keep_report)
        for (int fd = 5; fd <= 7; fd++) fcntl(fd, F_SETFD, 0);
    signal(SIGPIPE, SIG_DFL);
}

/* execvp (PATH and a script without #! as execvp has them), or the failed exec's errno to `errpipe`. */
__attribute__((noreturn)) static void exec_or_report(char **cmd, int errpipe) {
    execvp(cmd[0], cmd);
    int e = errno;
    if (write(errpipe, &e, sizeof e) < 0) { /* nothing left to tell */ }
    _exit(127);
}

/*
 * The program's environment: `given` (NAME=value strings, a later one
 * replacing an earlier one of the same name, as putenv does) with
 * SG_LD_PRELOAD become LD_PRELOAD: preloads are for the program, not for
 * sg-launch. Made in static storage, without allocating: a kept sandbox's
 * run shares pid 1's memory until its exec (run_child), and putenv and
 * setenv allocate.
 */
#define PROGRAM_ENV_MAX 1024
static char *program_envp[PROGRAM_ENV_MAX + 2];
static char program_preload[65536 + 16];

/* Where in envp[0..n) the variable named as `word` (NAME=...) is; -1 if it is not. */
static int env_index(char **envp, int n, const char *word) {
    size_t len = strcspn(word, "=");
    for (int i = 0; i < n; i++)
        if (strncmp(envp[i], word, len) == 0 && envp[i][len] == '=') return i;
    return -1;
}

static char **program_env(char **given) {
    int n = 0;
    for (char **e = given; *e && n < PROGRAM_ENV_MAX; e++) {
        if (!strchr(*e, '=')) continue;
        int at = env_index(program_envp, n, *e);
        if (at >= 0) program_envp[at] = *e;
        else program_envp[n++] = *e;
    }
    int sg = env_index(program_envp, n, "SG_LD_PRELOAD=");
    if (sg >= 0) {
        snprintf(program_preload, sizeof program_preload, "LD_PRELOAD=%s", strchr(program_envp[sg], '=') + 1);
        int at = env_index(program_envp, n, program_preload);
        if (at >= 0) program_envp[at] = program_preload;
        else program_envp[n++] = program_preload;
        memmove(program_envp + sg, program_envp + sg + 1, (size_t)(n - sg - 1) * sizeof *program_envp);
        n--;
    }
    program_envp[n] = NULL;
    return program_envp;
}

/* The one-shot launcher's child. */
__attribute__((noreturn)) static void exec_program(char **cmd, int keep_report, int errpipe) {
    ready_for_exec(keep_report);
    environ = program_env(environ);
    exec_or_report(cmd, errpipe);
}

/* The record's last line: how the program ended, its CPU time and peak memory (`ru`: every process it ran and was reaped). */
static void write_record(int meta_fd, int exec_errno, int status, const struct rusage *ru) {
    char line[512];
    int n;
    long long cpu_ms = ms(ru->ru_utime) + ms(ru->ru_stime);
    if (exec_errno != 0)
        n = snprintf(line, sizeof line, "{\"exec_error\":\"%s\",\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", strerror(exec_errno), cpu_ms, ru->ru_maxrss);
    else if (WIFSIGNALED(status))
        n = snprintf(line, sizeof line, "{\"signal\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", WTERMSIG(status), cpu_ms, ru->ru_maxrss);
    else
        n = snprintf(line, sizeof line, "{\"exit\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", WEXITSTATUS(status), cpu_ms, ru->ru_maxrss);
    if (n > 0 && write(meta_fd, line, (size_t)n) < 0) { /* the job sees no record */ }
}

static int serve(int control);

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--serve") == 0) return serve(atoi(argv[2]));
    if (argc < 9 || strcmp(argv[7], "--") != 0) {
        fprintf(stderr, "usage: sg-launch META_FD CPU_S AS_BYTES NPROC FSIZE NOFILE -- CMD ARGS...\n");
        return 125;
    }
    int meta_fd = atoi(argv[1]);
    char **cmd = argv + 8;

    /* Not dumpable: the program runs as the same uid, and must not be able to
     * trace this process or take its descriptors (pidfd_getfd) to forge or
     * suppress the meta record. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fcntl(meta_fd, F_SETFD, FD_CLOEXEC);
    /* Here, before the fork: nothing the launcher itself does afterwards is refused by the filter. */
    char why[256] = "";
    harden(why, sizeof why);
    int failed = enter_sandbox(meta_fd, why);
    if (failed) return failed;
    /* The exec-error pipe: closed by a successful exec, carries errno otherwise. */
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return 125;
    set_limits(argv + 2);

    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        close(errpipe[0]);
        int keep_report = getenv("SG_REPORT_CHANNEL") != NULL;
        unsetenv("SG_REPORT_CHANNEL");
        exec_program(cmd, keep_report, errpipe[1]);
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
    write_record(meta_fd, exec_errno, status, &ru);
    if (exec_errno != 0) return 127;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}


/* ---- The kept sandbox: sg-launch --serve CONTROL_FD ---------------------- */

#define SERVE_MAX_MESSAGE 65536
#define SERVE_MAX_FDS 6
#define SERVE_MAX_WORDS 1024

/* One run as the job sent it: "R\0ID\0CPU\0AS\0NPROC\0FSIZE\0NOFILE\0REPORT\0ARGC\0ARGV...\0ENV...\0". */
struct run_request {
    char buf[SERVE_MAX_MESSAGE + 1];
    int fds[SERVE_MAX_FDS];
    int nfds;
    char *words[SERVE_MAX_WORDS + 1];
    int nwords;
};

/* Receives one message and its descriptors: 1, 0 at the job's end, -1 on an error. */
static int receive(int control, struct run_request *req) {
    struct iovec iov = { .iov_base = req->buf, .iov_len = SERVE_MAX_MESSAGE };
    union { char space[CMSG_SPACE(sizeof(int) * SERVE_MAX_FDS)]; struct cmsghdr align; } cmsg;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsg.space, .msg_controllen = sizeof cmsg.space };
    ssize_t n;
    do n = recvmsg(control, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return (int)n;
    req->buf[n] = '\0';
    req->nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *got = (int *)CMSG_DATA(c);
        for (int i = 0; i < count; i++) {
            if (req->nfds < SERVE_MAX_FDS) req->fds[req->nfds++] = got[i];
            else close(got[i]);
        }
    }
    /* NUL-separated words. */
    req->nwords = 0;
    for (char *p = req->buf; p < req->buf + n && req->nwords < SERVE_MAX_WORDS; p += strlen(p) + 1)
        req->words[req->nwords++] = p;
    req->words[req->nwords] = NULL;
    return 1;
}

static void close_request(struct run_request *req) {
    for (int i = 0; i < req->nfds; i++) close(req->fds[i]);
    req->nfds = 0;
}

/*
 * Empties the folder open as `fd` (and closes it), whatever the student left there: modes
 * taken away, and folders nested deeper than any path or descriptor limit
 * would allow (one descriptor is held at a time; ".." leads back up, and
 * nothing can move a folder meanwhile: every process of the run is gone).
 */
static void empty_folder(int fd) {
    int depth = 0;
    /* A folder that can be entered but never removed would bring the walk back to it forever: bounded. */
    for (long steps = 0; fd >= 0 && steps < (1L << 22); steps++) {
        int scan = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
        if (!d) {
            if (scan >= 0) close(scan);
            break;
        }
        char deeper[256] = "";
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if (unlinkat(fd, e->d_name, 0) == 0 || unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0) continue;
            if (!deeper[0]) snprintf(deeper, sizeof deeper, "%s", e->d_name);
        }
        closedir(d);
        int next = -1;
        if (deeper[0]) {
            /* A folder with something in it: given back its owner's rights, emptied, then removed from here. */
            fchmodat(fd, deeper, 0700, 0);
            next = openat(fd, deeper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next >= 0) depth++;
        } else if (depth > 0) {
            next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            depth--;
        }
        close(fd);
        fd = next;
    }
    if (fd >= 0) close(fd);
}

static void empty_path(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) empty_folder(fd);
}

/* Every process of the sandbox but this one killed, and reaped. */
static void kill_all_and_reap(void) {
    kill(-1, SIGKILL);
    for (;;) {
        pid_t w = waitpid(-1, NULL, 0);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
    }
}

/* Why pid 1 could not harden itself (harden() in serve()), said by every run instead of starting its program; empty when it could. */
static char serve_failure[256];

/*
 * A run's program and environment (program_env), made by pid 1 before the
 * start: the child shares pid 1's memory until it execs, so it must not
 * build them itself. The environment is the run's words as clearenv and
 * putenv would leave it.
 */
static char *run_argv[SERVE_MAX_WORDS + 1];
static char **run_envp;

/* 0, or -1 when the request's words do not hold the program it names. */
static int prepare_exec(struct run_request *req) {
    int argc = atoi(req->words[8]);
    if (argc < 1 || 9 + argc > req->nwords) return -1;
    for (int i = 0; i < argc; i++) run_argv[i] = req->words[9 + i];
    run_argv[argc] = NULL;
    run_envp = program_env(req->words + 9 + argc);
    return 0;
}

struct run_start {
    struct run_request *req;
    int errpipe;
};

/*
 * The run's child, on its own stack in pid 1's memory until it execs
 * (clone with CLONE_VM | CLONE_VFORK, as posix_spawn starts a process: a
 * fork would copy pid 1's page tables and leave both to fault on the pages
 * they write next, the larger part of a start in a VM). So: system calls
 * only, and nothing written that pid 1 reads afterwards but `environ`, which
 * pid 1 puts back. Descriptors, signal handlers and limits are the child's
 * own already. Never returns.
 */
static int run_child(void *arg) {
    struct run_start *start = arg;
    struct run_request *req = start->req;
    int report = atoi(req->words[7]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Above anything dup2 below writes to; then the run's own stdio (and report channel) in place. */
    int fds[SERVE_MAX_FDS];
    for (int i = 0; i < req->nfds; i++) fds[i] = fcntl(req->fds[i], F_DUPFD_CLOEXEC, 64);
    int meta = fds[0];
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0) _exit(125);
    if (report && (req->nfds < 6 || dup2(fds[3], 5) < 0 || dup2(fds[4], 6) < 0 || dup2(fds[5], 7) < 0)) _exit(125);
    if (enter_sandbox(meta, serve_failure)) _exit(125);
    set_limits(req->words + 2);
    ready_for_exec(report);
    environ = run_envp;
    exec_or_report(run_argv, start->errpipe);
}

static char run_child_stack[256 * 1024] __attribute__((aligned(16)));

/* Starts the run's program (see run_child); its pid, or -1 with errno set. */
static pid_t start_run(struct run_request *req, int errpipe) {
    if (prepare_exec(req) != 0) {
        errno = EINVAL;
        return -1;
    }
    struct run_start start = { .req = req, .errpipe = errpipe };
    char **own = environ;
    pid_t pid = clone(run_child, run_child_stack + sizeof run_child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    int e = errno;
    environ = own;
    errno = e;
    return pid;
}

static void add_usage(struct rusage *sum, const struct rusage *ru) {
    timeradd(&sum->ru_utime, &ru->ru_utime, &sum->ru_utime);
    timeradd(&sum->ru_stime, &ru->ru_stime, &sum->ru_stime);
    if (ru->ru_maxrss > sum->ru_maxrss) sum->ru_maxrss = ru->ru_maxrss;
}

/*
 * One run, to its end. Returns 0 to go on, 1 when the job is gone. `next`
 * receives a run the job sent while this one ran (it should not: it starts
 * a program once the one before is gone), played next.
 */
static int serve_run(int control, int sigfd, struct run_request *req, struct run_request *next, int *has_next) {
    const char *id = req->words[1];
    int meta = req->fds[0];
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return 1;
    pid_t pid = start_run(req, errpipe[1]);
    if (pid < 0) {
        close(errpipe[0]); close(errpipe[1]);
        dprintf(req->fds[2], "sg-launch: cannot start the program: %s\n", strerror(errno));
        return 0;
    }
    close(errpipe[1]);
    /* The program's ends are the program's: EOF comes when its processes close them. */
    for (int i = 1; i < req->nfds; i++) close(req->fds[i]);
    req->nfds = 1;
    int exec_errno = 0;
    ssize_t got;
    do got = read(errpipe[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof exec_errno) exec_errno = 0;
    close(errpipe[0]);

    /* Reap as the program's processes end (orphans are ours too), until the program itself ends. */
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    int status = 0, killed = 0, gone = 0, job_gone = 0;
    while (!gone) {
        struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = control, .events = POLLIN } };
        /* Reap first: the child may have ended before SIGCHLD was waited for. */
        for (;;) {
            struct rusage ru;
            int st = 0;
            pid_t w = wait4(-1, &st, WNOHANG, &ru);
            if (w <= 0) break;
            add_usage(&usage, &ru);
            if (w == pid) { status = st; gone = 1; }
        }
        if (gone) break;
        if (poll(p, job_gone ? 1 : 2, -1) < 0) continue;
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) { /* drained: reaped above */ }
        }
        if (!job_gone && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            struct run_request *in = *has_next ? NULL : next;
            struct run_request scratch;
            int r = receive(control, in ? in : &scratch);
            if (r <= 0) {
                job_gone = 1; /* the job is gone: so is every run */
                killed = 1;
                kill(-1, SIGKILL);
                continue;
            }
            struct run_request *m = in ? in : &scratch;
            if (m->words[0][0] == 'K') {
                if (m->nwords > 1 && strcmp(m->words[1], id) == 0 && !killed) {
                    killed = 1;
                    kill(-1, SIGKILL);
                }
                close_request(m);
            } else if (in && m->words[0][0] == 'R' && m->nwords >= 9) {
                *has_next = 1;
            } else {
                close_request(m);
            }
        }
    }
    kill_all_and_reap();
    /* What this run left in the sandbox's own tmpfs is not the next run's to see. */
    empty_path("/tmp");
    empty_path("/dev/shm");
    if (!killed) {
        /* As the one-shot launcher's record, counting only this run's processes. */
        write_record(meta, exec_errno, status, &usage);
    }
    close_request(req);
    return job_gone;
}

static int serve(int control) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Once for every run: each run's child inherits the keyring and the
     * filter (pid 1 needs nothing either refuses), and no run can add a key
     * for the next to find: keyctl and add_key are refused to it. */
    harden(serve_failure, sizeof serve_failure);
    /* A run's record written after the job let go of it must not end pid 1 (each run's child restores SIGPIPE). */
    signal(SIGPIPE, SIG_IGN);
    fcntl(control, F_SETFD, FD_CLOEXEC);
    /* SIGCHLD read from a descriptor: no handler, so the program cannot signal pid 1 to any effect. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) {
        fprintf(stderr, "sg-launch: signalfd: %s\n", strerror(errno));
        return 125;
    }
    static struct run_request a, b;
    struct run_request *req = &a, *next = &b;
    int has_next = 0;
    for (;;) {
        if (has_next) {
            struct run_request *t = req; req = next; next = t;
            has_next = 0;
        } else {
            int r = receive(control, req);
            if (r <= 0) return 0; /* the job closed its end: the sandbox ends */
        }
        if (req->words[0][0] != 'R' || req->nwords < 9 || req->nfds < 3) {
            close_request(req);
            continue;
        }
        if (serve_run(control, sigfd, req, next, &has_next)) return 0;
    }
}
