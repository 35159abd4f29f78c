/*
 * sg-reaper: starts a grading job in a fresh network, mount and pid
 * namespace, and is pid 1 there (see parent.ts).
 *
 *   sg-reaper [--map-root-user] --grading-process PID -- CMD ARGS...
 *
 * The grading process starts it directly. It does what `setpriv --pdeathsig`
 * and `unshare --net --mount --pid --fork --kill-child` did before it, in one
 * process start instead of three (a process start is what a grade spends
 * most on, beside the compiler):
 *   - it dies when the grading process dies (its death signal), and ends
 *     at once if that process (PID, its parent) died before the signal was set;
 *   - it unshares the namespaces (with a user namespace mapping the caller
 *     to root in it, --map-root-user, for a grading process that is not root)
 *     and makes its mounts private, so that nothing the job mounts is seen
 *     outside;
 *   - it forks pid 1 of the new pid namespace, which dies when it dies, and
 *     waits for it, exiting with its status.
 * Pid 1 mounts the namespace's own /proc (the job reads /proc/<pid> of the
 * programs it starts; the host's /proc is untouched, the mounts being
 * private), then runs CMD (the job) as its child and reaps every process the
 * namespace hands to it: a sandbox killed at the end of a test leaves its
 * launcher orphaned, and an unreaped launcher would count against the
 * sandbox user's process limit (RLIMIT_NPROC) for every later test. It exits
 * with the job's status; its exit makes the kernel kill whatever else is
 * left in the namespace.
 *
 *   sg-reaper --ahead-of-cli JOB_ENTRY -- NODE CLI ARGS...
 *
 * The shell line of bin/sockgrade.js runs this for `sockgrade grade`, before
 * any Node has started: it forks the job's reaper (as above, with the job
 * `node JOB_ENTRY --own-namespaces` on socket pairs, and this process as
 * its grading process), then becomes the CLI (exec, same pid). The job's
 * Node then starts beside the CLI's rather than after it. The CLI finds the
 * job in SOCKGRADE_JOB_AHEAD ("PID STDIN STDOUT STDERR": the pid, and the
 * CLI's ends of the job's standard streams) and the job's command line in
 * SOCKGRADE_JOB_AHEAD_ARGV (one word a line), takes it only when it would
 * start the same command line itself (runner/job/job-command.ts), and reaps
 * it (Node would not). Anything that stops it here (no node on PATH, a path
 * with a newline) leaves the CLI to start its job itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "sg-reaper: %s: %s\n", what, strerror(errno));
    return 1;
}

/* Writes `text` to `path` (a /proc/self file of the user namespace's maps). */
static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The caller's uid and gid as root in a new user namespace; setgroups must be denied before the gid map. */
static int map_root(uid_t uid, gid_t gid) {
    char map[64];
    if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) return -1;
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) < 0) return -1;
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    return write_file("/proc/self/gid_map", map);
}

/* With `status` from waitpid: the same exit status, or the same death by a signal. */
static int exit_like(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
    return 128 + sig;
}

/* Pid 1 of the job's namespace: runs the job, reaps everything, exits with the job's status. */
static int reap(char **cmd) {
    pid_t job = fork();
    if (job < 0) return fail("fork");
    if (job == 0) {
        execvp(cmd[0], cmd);
        fprintf(stderr, "sg-reaper: exec %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR) continue;
            return fail("wait");
        }
        if (pid == job) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
}

/* The job's reaper: dies with the grading process, unshares, forks pid 1 and exits as it does. */
static int reaper(int map_root_user, long grading, char **cmd) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return fail("prctl");
    // A grading process that died before the prctl left no one to send the
    // signal: this process was handed to another parent. Nothing would end it.
    if (getppid() != (pid_t)grading) return 1;
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | (map_root_user ? CLONE_NEWUSER : 0)) < 0) return fail("unshare");
    if (map_root_user && map_root(uid, gid) < 0) return fail("setting up uid map");
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return fail("making mounts private");

    // Held open by this process only: pid 1 reads its end of the file once its
    // death signal is set, and sees its end (EOF) if this process died before.
    int alive[2];
    if (pipe2(alive, O_CLOEXEC | O_NONBLOCK) < 0) return fail("pipe");
    pid_t init = fork();
    if (init < 0) return fail("fork");
    if (init == 0) {
        close(alive[1]);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) _exit(fail("prctl"));
        char byte;
        if (read(alive[0], &byte, 1) == 0) _exit(1);
        close(alive[0]);
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) _exit(fail("mounting /proc"));
        _exit(reap(cmd));
    }
    close(alive[0]);
    for (;;) {
        int status;
        if (waitpid(init, &status, 0) < 0) {
            if (errno == EINTR) continue;
            return fail("waitpid");
        }
        return exit_like(status);
    }
}

/* `name` found on PATH, as its real path (what Node's process.execPath is); 0, or -1. */
static int find_on_path(const char *name, char *out) {
    const char *dirs = getenv("PATH");
    if (!dirs || strchr(name, '/')) return -1;
    for (const char *p = dirs; ; ) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char candidate[PATH_MAX];
        int m = n > 0 && n < sizeof candidate ? snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, p, name) : -1;
        if (m > 0 && (size_t)m < sizeof candidate && access(candidate, X_OK) == 0 && realpath(candidate, out)) return 0;
        if (!end) return -1;
        p = end + 1;
    }
}

/* The --ahead-of-cli mode (see the top of this file): `cli` is NODE CLI ARGS...; never returns. */
__attribute__((noreturn)) static void ahead_of_cli(const char *entry, char **cli) {
    char self[PATH_MAX], node[PATH_MAX], job_entry[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    int fds[6];
    int ok = n > 0 && find_on_path(cli[0], node) == 0 && realpath(entry, job_entry) != NULL;
    if (ok) {
        self[n] = '\0';
        ok = !strchr(self, '\n') && !strchr(node, '\n') && !strchr(job_entry, '\n');
    }
    /* Socket pairs, as Node gives a child's standard streams: the CLI ends the
     * job's stdin by shutting down its side, whoever else holds the job's. */
    for (int k = 0; ok && k < 6; k += 2) ok = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds + k) == 0 && fds[k] > 2;
    pid_t cli_pid = getpid();
    int map_root_user = getuid() != 0;
    pid_t job = ok ? fork() : -1;
    if (job == 0) {
        /* The job's stdin, stdout and stderr, and nothing else of the pipes: this
         * process lives on beside the job, and a copy of the CLI's end of stdin
         * held here would keep the job from ever seeing its end. */
        if (dup2(fds[0], 0) < 0 || dup2(fds[3], 1) < 0 || dup2(fds[5], 2) < 0) _exit(1);
        for (int k = 0; k < 6; k++) close(fds[k]);
        char *cmd[] = { node, job_entry, "--own-namespaces", NULL };
        _exit(reaper(map_root_user, cli_pid, cmd));
    }
    if (job > 0) {
        char said[96], argv_text[3 * PATH_MAX + 128];
        snprintf(said, sizeof said, "%ld %d %d %d", (long)job, fds[1], fds[2], fds[4]);
        snprintf(argv_text, sizeof argv_text, "%s\n%s--grading-process\n%ld\n--\n%s\n%s\n--own-namespaces",
                 self, map_root_user ? "--map-root-user\n" : "", (long)cli_pid, node, job_entry);
        close(fds[0]);
        close(fds[3]);
        close(fds[5]);
        /* The CLI's ends outlive the exec. */
        fcntl(fds[1], F_SETFD, 0);
        fcntl(fds[2], F_SETFD, 0);
        fcntl(fds[4], F_SETFD, 0);
        setenv("SOCKGRADE_JOB_AHEAD", said, 1);
        setenv("SOCKGRADE_JOB_AHEAD_ARGV", argv_text, 1);
    }
    execvp(cli[0], cli);
    fprintf(stderr, "sg-reaper: exec %s: %s\n", cli[0], strerror(errno));
    if (job > 0) kill(job, SIGKILL);
    _exit(127);
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--ahead-of-cli") == 0 && strcmp(argv[3], "--") == 0) ahead_of_cli(argv[2], argv + 4);
    int map_root_user = 0, i = 1;
    long grading = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--map-root-user") == 0) map_root_user = 1;
        else if (strcmp(argv[i], "--grading-process") == 0 && i + 1 < argc) grading = strtol(argv[++i], NULL, 10);
        else break;
    }
    if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc || grading <= 0) {
        fprintf(stderr, "usage: sg-reaper [--map-root-user] --grading-process PID -- CMD [ARGS...]\n");
        return 2;
    }
    return reaper(map_root_user, grading, argv + i + 1);
}
