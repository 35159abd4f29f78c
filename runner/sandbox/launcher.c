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
#include <sys/wait.h>
#include <unistd.h>

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
