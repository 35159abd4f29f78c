/*
 * sg-remote: runs the student's program where the grader cannot reach it
 * directly, such as INGInious's student container (started by run_student),
 * and keeps the grader in control of it over one socket.
 *
 *   sg-remote CPU_S AS_BYTES NPROC FSIZE_BYTES NOFILE -- CMD ARGS...
 *
 * Standard input is the control socket, connected to the grader: everything
 * sg-remote reports goes back on it as JSON lines (the same records as
 * sg-launch's meta, plus CPU samples while the program runs), and the grader
 * stops the program by closing its end (or writing anything). Standard output
 * and error are the program's own. The program gets /dev/null as input and no
 * other descriptor, so it can neither read nor forge the records; but for the
 * report channel (fds 5-7, runner/harness/channel.ts) when SG_REPORT_CHANNEL
 * is set, as sg-launch keeps it. SG_LD_PRELOAD becomes the program's
 * LD_PRELOAD, as in sg-launch (launcher.c, program_env). Both reach sg-remote
 * only in the user backend: run_student passes no environment and no
 * descriptor, and the inginious backend refuses what needs them.
 *
 * Why not signals: run_student relays none, and the grader cannot see the
 * student container's processes. A limit of 0 means "leave as is".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_FD 0
#define SAMPLE_MS 20
#define MAX_PIDS 4096

static void say(const char *line) {
    size_t len = strlen(line);
    /* The grader may be gone already: then nobody is left to tell. */
    if (write(CONTROL_FD, line, len) < 0) { /* ignored */ }
}

static void set_limit(int resource, unsigned long long soft, unsigned long long hard) {
    if (soft == 0) return;
    struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
    if (setrlimit(resource, &rl) != 0) {
        fprintf(stderr, "sg-remote: setrlimit(%d): %s\n", resource, strerror(errno));
        _exit(125);
    }
}

static long long ms(struct timeval tv) { return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000; }

/* Children of a process, from /proc (we are a subreaper: orphans come to us). */
static int children_of(pid_t pid, pid_t *out, int room) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    long v;
    while (n < room && fscanf(f, "%ld", &v) == 1) out[n++] = (pid_t)v;
    fclose(f);
    return n;
}

/* Every descendant of this process, breadth first. */
static int descendants(pid_t *pids) {
    int n = children_of(getpid(), pids, MAX_PIDS);
    for (int i = 0; i < n && n < MAX_PIDS; i++) n += children_of(pids[i], pids + n, MAX_PIDS - n);
    return n;
}

/* CPU ticks of one live process, its reaped children included. */
static long long ticks_of(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0) return 0;
    buf[got] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    long long f[20] = {0};
    /* Fields after the command name: state is field 3; utime..cstime are 14-17. */
    int k = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld", &f[0], &f[1], &f[2], &f[3]);
    return k == 4 ? f[0] + f[1] + f[2] + f[3] : 0;
}

static void sample(void) {
    pid_t pids[MAX_PIDS];
    int n = descendants(pids);
    long long ticks = 0;
    for (int i = 0; i < n; i++) ticks += ticks_of(pids[i]);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu = ticks * 1000 / sysconf(_SC_CLK_TCK) + ms(ru.ru_utime) + ms(ru.ru_stime);
    char line[128];
    snprintf(line, sizeof line, "{\"cpu_ms\":%lld,\"procs\":%d}\n", cpu, n);
    say(line);
}

/* The program's own process, its wait status once reaped, and whether it was. */
static pid_t program;
static int program_status, program_ended;

static void reap(void) {
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == program) { program_status = st; program_ended = 1; }
    }
}

/* Kills everything the program started, escaped process groups included, and reaps it. */
static void kill_all(void) {
    kill(-program, SIGKILL);
    for (int round = 0; round < 1000; round++) {
        pid_t pids[MAX_PIDS];
        int n = descendants(pids);
        for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
        reap();
        if (n == 0) return;
        struct timespec pause = { 0, 1000000 };
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc < 8 || strcmp(argv[6], "--") != 0) {
        fprintf(stderr, "usage: sg-remote CPU_S AS_BYTES NPROC FSIZE NOFILE -- CMD ARGS...\n");
        return 125;
    }
    unsigned long long cpu = strtoull(argv[1], NULL, 10);
    unsigned long long as = strtoull(argv[2], NULL, 10);
    unsigned long long nproc = strtoull(argv[3], NULL, 10);
    unsigned long long fsize = strtoull(argv[4], NULL, 10);
    unsigned long long nofile = strtoull(argv[5], NULL, 10);
    char **cmd = argv + 7;

    /* Not dumpable: the program runs as the same user and must not take the
     * control socket from us (ptrace, pidfd_getfd, /proc/PID/fd). */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Orphans of the program are reparented to us, so kill_all finds them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    say("{\"started\":1}\n");

    int keep_report = getenv("SG_REPORT_CHANNEL") != NULL;
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return 125;
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        setpgid(0, 0);
        close(errpipe[0]);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0) _exit(125);
        if (null > 0) close(null);
        /* Nothing but the three standard streams (and the report channel) reaches the program. */
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
            for (int fd = 3; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (keep_report)
            for (int fd = 5; fd <= 7; fd++) fcntl(fd, F_SETFD, 0);
        unsetenv("SG_REPORT_CHANNEL");
        const char *preload = getenv("SG_LD_PRELOAD");
        if (preload && (setenv("LD_PRELOAD", preload, 1) != 0 || unsetenv("SG_LD_PRELOAD") != 0)) _exit(125);
        signal(SIGPIPE, SIG_DFL);
        set_limit(RLIMIT_CPU, cpu, cpu + 1);
        set_limit(RLIMIT_AS, as, as);
        set_limit(RLIMIT_NPROC, nproc, nproc);
        set_limit(RLIMIT_FSIZE, fsize, fsize);
        set_limit(RLIMIT_NOFILE, nofile, nofile);
        set_limit(RLIMIT_CORE, 1, 1);
        execvp(cmd[0], cmd);
        int e = errno;
        if (write(errpipe[1], &e, sizeof e) < 0) { /* nothing left to tell */ }
        _exit(127);
    }
    setpgid(pid, pid);
    close(errpipe[1]);
    /* The channel is the program's: its reader sees its end when the program's copies close. */
    if (keep_report)
        for (int fd = 5; fd <= 7; fd++) close(fd);
    int exec_errno = 0;
    if (read(errpipe[0], &exec_errno, sizeof exec_errno) != (ssize_t)sizeof exec_errno) exec_errno = 0;
    close(errpipe[0]);

    program = pid;
    int stopped = 0;
    struct pollfd control = { .fd = CONTROL_FD, .events = POLLIN };
    for (;;) {
        reap();
        if (program_ended) break;
        if (stopped) {
            /* Asked to stop: nothing the program does can delay it. */
            kill_all();
            continue;
        }
        sample();
        int r = poll(&control, 1, SAMPLE_MS);
        if (r > 0) {
            /* Anything from the grader, its end closing, or an error: stop. */
            char buf[64];
            if (read(CONTROL_FD, buf, sizeof buf) < 0) { /* an error stops it too */ }
            stopped = 1;
        }
    }
    /* The program is over; whatever it left running goes with it (as a pid namespace would). */
    kill_all();
    int status = program_status;

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
    char line[512];
    if (exec_errno != 0) {
        snprintf(line, sizeof line, "{\"exec_error\":\"%s\",\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", strerror(exec_errno), cpu_ms, ru.ru_maxrss);
    } else if (WIFSIGNALED(status)) {
        snprintf(line, sizeof line, "{\"signal\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", WTERMSIG(status), cpu_ms, ru.ru_maxrss);
    } else {
        snprintf(line, sizeof line, "{\"exit\":%d,\"cpu_ms\":%lld,\"maxrss_kb\":%ld}\n", WEXITSTATUS(status), cpu_ms, ru.ru_maxrss);
    }
    say(line);
    if (exec_errno != 0) return 127;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
