/*
 * sg-reaper: pid 1 of a grading job's own pid namespace (see parent.ts).
 *
 *   sg-reaper CMD ARGS...
 *
 * Runs CMD (the job) as its child and reaps every process the namespace hands
 * to it: a sandbox killed at the end of a test leaves its launcher orphaned,
 * and an unreaped launcher would count against the sandbox user's process
 * limit (RLIMIT_NPROC) for every later test. Exits with the job's status;
 * its exit makes the kernel kill whatever else is left in the namespace.
 * It needs no death signal of its own: unshare --kill-child gives it one.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sg-reaper CMD [ARGS...]\n");
        return 2;
    }
    pid_t job = fork();
    if (job < 0) {
        perror("sg-reaper: fork");
        return 1;
    }
    if (job == 0) {
        execvp(argv[1], argv + 1);
        perror("sg-reaper: exec");
        _exit(127);
    }
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR) continue;
            perror("sg-reaper: wait");
            return 1;
        }
        if (pid == job) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
}
