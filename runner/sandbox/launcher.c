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

    fcntl(meta_fd, F_SETFD, FD_CLOEXEC);
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

    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
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
