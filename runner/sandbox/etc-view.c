/*
 * sg-etc-view: the sandbox's /etc, made once per grade (in a job kept for
 * several grades, again for each: runner/job/main.ts takes it down between them).
 *
 *   sg-etc-view DIR (b SOURCE NAME | l TARGET NAME)...
 *
 * Mounts a small tmpfs on DIR and fills it: `b` bind-mounts SOURCE (a file or
 * a folder) on DIR/NAME, `l` makes DIR/NAME a symbolic link to TARGET; then
 * the tmpfs is made read-only. Each sandbox of the job then shows DIR as /etc
 * with one bind mount, where it took one per entry (runner/sandbox/command.ts):
 * that costs the kernel less at every sandbox start. The binds are the
 * machine's own files, not copies: the sandbox sees exactly what it saw
 * before, and a change to them is seen by the next grade.
 *
 * Runs as root of the job's own mount namespace (run-job.ts): the mounts
 * vanish with the job. Exits 1 with a one-line message on the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
    fprintf(stderr, "sg-etc-view: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || (argc - 2) % 3 != 0) {
        fprintf(stderr, "usage: sg-etc-view DIR (b SOURCE NAME | l TARGET NAME)...\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mount("sockgrade-etc", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) return fail("mount tmpfs on", dir);
    char at[4096];
    for (int i = 2; i < argc; i += 3) {
        const char *kind = argv[i], *source = argv[i + 1], *name = argv[i + 2];
        if (strchr(name, '/') || snprintf(at, sizeof at, "%s/%s", dir, name) >= (int)sizeof at) {
            errno = EINVAL;
            return fail("bad name", name);
        }
        if (kind[0] == 'l' && kind[1] == 0) {
            if (symlink(source, at) != 0) return fail("symlink", at);
            continue;
        }
        if (kind[0] != 'b' || kind[1] != 0) {
            errno = EINVAL;
            return fail("bad kind", kind);
        }
        struct stat st;
        if (stat(source, &st) != 0) return fail("stat", source);
        if (S_ISDIR(st.st_mode) ? mkdir(at, 0755) != 0 : mknod(at, S_IFREG | 0644, 0) != 0) return fail("create", at);
        if (mount(source, at, NULL, MS_BIND | MS_REC, NULL) != 0) return fail("bind", source);
    }
    /* The tmpfs itself read-only: nothing in the job can add an entry afterwards. */
    if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) return fail("remount read-only", dir);
    return 0;
}
