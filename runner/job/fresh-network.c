/*
 * A Node addon for a job process that grades one submission after another
 * (runner/job/main.ts): each grade needs a network namespace of its own, and
 * only the thread that creates the peer's sockets and starts the sandboxes
 * (Node's main thread) needs to be in it. unshare(CLONE_NEWNET) moves the
 * calling thread alone, which a multi-threaded process may do (unlike a new
 * user or mount namespace); the job already has its own user and mount
 * namespace from its start. Sockets made before stay in the old namespace,
 * which ends when the last of them is closed.
 *
 * Also umount2(MNT_DETACH), to take a grade's scratch tmpfs and /etc view
 * down before the next grade, without a process for each.
 *
 * Written against Node-API (stable ABI), built with gcc like every other
 * helper (runner/sandbox/native.ts).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static napi_value throw_errno(napi_env env, const char *what) {
    char msg[4400];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
}

/* freshNetwork(): the calling (main) thread moves to a new, empty network namespace. */
static napi_value fresh_network(napi_env env, napi_callback_info info) {
    (void)info;
    if (unshare(CLONE_NEWNET) != 0) return throw_errno(env, "unshare(CLONE_NEWNET)");
    return NULL;
}

/* detach(path): umount2(path, MNT_DETACH). */
static napi_value detach(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    char path[4096];
    size_t len = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
        napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len >= sizeof path - 1) {
        napi_throw_type_error(env, NULL, "detach(path): a path is required");
        return NULL;
    }
    if (umount2(path, MNT_DETACH) != 0) {
        char what[4200];
        snprintf(what, sizeof what, "umount2(%s)", path);
        return throw_errno(env, what);
    }
    return NULL;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
    napi_value fn;
    if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok)
        napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
    export_fn(env, exports, "freshNetwork", fresh_network);
    export_fn(env, exports, "detach", detach);
    return exports;
}
