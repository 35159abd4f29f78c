/*
 * sg-with-session-key: runs a command in a new session keyring holding one
 * key, that only a process possessing that keyring can see in /proc/keys.
 *
 *   sg-with-session-key DESCRIPTION OWNER_UID|- -- CMD ARGS...
 *
 * `sockgrade doctor` (and the tests) run a grading job under it: the job's
 * sandbox inherits this session keyring unless the launcher leaves it, so a
 * sandboxed program that finds DESCRIPTION in /proc/keys proves a leak.
 * /proc/keys lists only keys whose owner has a uid in the reader's user
 * namespace: run as root, give the key to the uid the sandbox runs as
 * (65534), or no sandbox could ever see it, leak or not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_CHOWN 4
#define KEYCTL_SETPERM 5
#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEY_POS_ALL 0x3f000000 /* the possessor only: no view for the uid, group or others */

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: sg-with-session-key DESCRIPTION OWNER_UID|- -- CMD ARGS...\n");
        return 125;
    }
    long joined = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "sockgrade-doctor", 0, 0, 0);
    if (joined < 0 && (errno == ENOSYS || errno == EPERM)) {
        /* No keyrings here (or keyctl refused to us and so to every sandbox
         * below us): nothing to plant, nothing that could leak. */
        execvp(argv[4], argv + 4);
        fprintf(stderr, "sg-with-session-key: %s: %s\n", argv[4], strerror(errno));
        return 127;
    }
    if (joined < 0) {
        fprintf(stderr, "sg-with-session-key: cannot join a session keyring: %s\n", strerror(errno));
        return 125;
    }
    long key = syscall(SYS_add_key, "user", argv[1], "grader-secret", 13, KEY_SPEC_SESSION_KEYRING);
    if (key < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, key, KEY_POS_ALL, 0, 0) < 0) {
        fprintf(stderr, "sg-with-session-key: cannot add the key: %s\n", strerror(errno));
        return 125;
    }
    if (strcmp(argv[2], "-") != 0 && syscall(SYS_keyctl, KEYCTL_CHOWN, key, atol(argv[2]), -1, 0) < 0) {
        fprintf(stderr, "sg-with-session-key: cannot give the key to uid %s: %s\n", argv[2], strerror(errno));
        return 125;
    }
    execvp(argv[4], argv + 4);
    fprintf(stderr, "sg-with-session-key: %s: %s\n", argv[4], strerror(errno));
    return 127;
}
