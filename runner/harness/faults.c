/*
 * faults.so: preloaded into a program (sg-launch hands LD_PRELOAD to the
 * program only, never to itself) to record the socket calls it makes and to
 * make chosen ones fail. Before main, it reads fd 6, where the runner wrote
 * the run's nonce (32 characters) and then its orders, up to end of file:
 *
 *   fail=send+sendto+write:105:0;fail=bind:98:1
 *
 * fail=NAMES:ERRNO:NTH  every call of one of NAMES fails with ERRNO without
 *                       being made (NTH 0), or only the NTH such call (NTH >= 1).
 *
 * Each call is reported on the report channel (fd 5) as one line
 *   NONCE call NAME ret=R errno=E [fd=..] [family=..] [type=..] [port=..] [len=..] [injected]
 *
 * (a receive that asked for the sender's address adds room=.. addrlen=..
 * family=..: the room it gave, the length the kernel reported, the family),
 * and a receive that may block first writes "NONCE enter NAME", so a function
 * stuck waiting can be told from one stuck computing. Orders come through a
 * pipe the shim empties and closes before main, not through the environment,
 * so the program cannot learn which call will fail; the nonce keeps a program
 * that writes the same words from passing for the shim.
 *
 * In a function task the shim is loaded into the harness before it forks, and
 * the student's code runs in the child, whose fd 5 is a pipe to the harness's
 * parent: these lines reach the runner through the parent, which forwards
 * them as they are (runner/harness/sockgrade_harness.h).
 *
 * Not covered (documented in docs/function-tasks.md): statically linked
 * programs and raw system calls do not go through this shim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define REPORT_FD 5
#define SHIM_FD 6
#define NONCE_LEN 32
#define MAX_FAULTS 8
#define MAX_NAMES 8

struct fault {
    char names[MAX_NAMES][24];
    int n_names;
    int err;
    int nth;
    int seen;
};

/*
 * Report bytes the shim writes at most, below the 64 KiB the runner keeps
 * (channel.ts): past that, a program calling in a loop would only wait for the
 * runner to read, idle on a loaded machine instead of spinning, and would
 * crowd the harness's own lines out of what the runner keeps.
 */
#define REPORT_BUDGET (48 * 1024)

static char nonce[NONCE_LEN];
static size_t reported;
static int reporting;
static int active;
static struct fault faults[MAX_FAULTS];
static int n_faults;

/* Raw write: the program's own write() may be the one we interpose. */
static void emit(const char *fmt, ...) {
    if (!reporting || reported >= REPORT_BUDGET) return;
    int saved = errno;
    char line[512];
    memcpy(line, nonce, NONCE_LEN);
    line[NONCE_LEN] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + NONCE_LEN + 1, sizeof line - NONCE_LEN - 2, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t len = NONCE_LEN + 1 + ((size_t)n < sizeof line - NONCE_LEN - 2 ? (size_t)n : sizeof line - NONCE_LEN - 3);
    line[len++] = '\n';
    syscall(SYS_write, REPORT_FD, line, len);
    reported += len;
    explicit_bzero(line, NONCE_LEN); /* no copy of the nonce left on the stack */
    errno = saved;
}

static void parse_fault(char *spec) {
    if (n_faults >= MAX_FAULTS) return;
    struct fault *f = &faults[n_faults];
    char *names = strtok_r(spec, ":", &spec);
    char *err = strtok_r(NULL, ":", &spec);
    char *nth = strtok_r(NULL, ":", &spec);
    if (!names || !err || !nth) return;
    for (char *save = NULL, *name = strtok_r(names, "+", &save); name && f->n_names < MAX_NAMES;
         name = strtok_r(NULL, "+", &save)) {
        snprintf(f->names[f->n_names++], sizeof f->names[0], "%s", name);
    }
    f->err = atoi(err);
    f->nth = atoi(nth);
    n_faults++;
}

__attribute__((constructor)) static void shim_init(void) {
    /* Programs this one starts are not the runner's: they run without the shim. */
    unsetenv("LD_PRELOAD");
    char orders[1024];
    size_t got = 0;
    while (got < sizeof orders - 1) {
        long r = syscall(SYS_read, SHIM_FD, orders + got, sizeof orders - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    syscall(SYS_close, SHIM_FD);
    if (got < NONCE_LEN) return; /* not started by the runner: stay out of the way */
    orders[got] = '\0';
    memcpy(nonce, orders, NONCE_LEN);
    reporting = 1;
    active = 1;
    char *save = NULL;
    for (char *item = strtok_r(orders + NONCE_LEN, ";\n", &save); item; item = strtok_r(NULL, ";\n", &save)) {
        if (strncmp(item, "fail=", 5) == 0) parse_fault(item + 5);
    }
    memset(orders, 0, sizeof orders);
}

/* Should this call fail? Counts it against every fault that names it. */
static int injected(const char *name) {
    if (!active) return 0;
    int hit = 0;
    for (int i = 0; i < n_faults; i++) {
        struct fault *f = &faults[i];
        for (int j = 0; j < f->n_names; j++) {
            if (strcmp(f->names[j], name) != 0) continue;
            f->seen++;
            if (!hit && (f->nth == 0 || f->seen == f->nth)) {
                errno = f->err;
                hit = 1;
            }
            break;
        }
    }
    return hit;
}

/* read()/write() count only on network sockets: stdout and stderr are socketpairs here. */
static int is_net_socket(int fd) {
    int domain = 0;
    socklen_t len = sizeof domain;
    return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && (domain == AF_INET || domain == AF_INET6);
}

static int family_of(const struct sockaddr *addr, socklen_t len) {
    return addr && len >= (socklen_t)sizeof(sa_family_t) ? addr->sa_family : -1;
}

static int port_of(const struct sockaddr *addr, socklen_t len) {
    if (!addr) return -1;
    if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
        return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
        return ntohs(((const struct sockaddr_in *)addr)->sin_port);
    return -1;
}

#define REAL(ret, name, ...)                                               \
    static ret (*real_##name)(__VA_ARGS__);                                \
    if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

#define INJECTED_TAIL " injected"

int socket(int domain, int type, int protocol) {
    REAL(int, socket, int, int, int);
    int bare_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (injected("socket")) {
        emit("call socket ret=-1 errno=%d family=%d type=%d" INJECTED_TAIL, errno, domain, bare_type);
        return -1;
    }
    int r = real_socket(domain, type, protocol);
    if (active) emit("call socket ret=%d errno=%d family=%d type=%d", r, r < 0 ? errno : 0, domain, bare_type);
    return r;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    REAL(int, bind, int, const struct sockaddr *, socklen_t);
    if (injected("bind")) {
        emit("call bind ret=-1 errno=%d fd=%d family=%d port=%d" INJECTED_TAIL, errno, fd, family_of(addr, len), port_of(addr, len));
        return -1;
    }
    int r = real_bind(fd, addr, len);
    if (active) emit("call bind ret=%d errno=%d fd=%d family=%d port=%d", r, r < 0 ? errno : 0, fd, family_of(addr, len), port_of(addr, len));
    return r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    REAL(int, connect, int, const struct sockaddr *, socklen_t);
    if (injected("connect")) {
        emit("call connect ret=-1 errno=%d fd=%d family=%d port=%d" INJECTED_TAIL, errno, fd, family_of(addr, len), port_of(addr, len));
        return -1;
    }
    int r = real_connect(fd, addr, len);
    if (active) emit("call connect ret=%d errno=%d fd=%d family=%d port=%d", r, r < 0 ? errno : 0, fd, family_of(addr, len), port_of(addr, len));
    return r;
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
    REAL(ssize_t, send, int, const void *, size_t, int);
    if (injected("send")) {
        emit("call send ret=-1 errno=%d fd=%d len=%zu" INJECTED_TAIL, errno, fd, n);
        return -1;
    }
    ssize_t r = real_send(fd, buf, n, flags);
    if (active) emit("call send ret=%zd errno=%d fd=%d len=%zu", r, r < 0 ? errno : 0, fd, n);
    return r;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
    REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    if (injected("sendto")) {
        emit("call sendto ret=-1 errno=%d fd=%d len=%zu family=%d port=%d" INJECTED_TAIL, errno, fd, n, family_of(addr, len), port_of(addr, len));
        return -1;
    }
    ssize_t r = real_sendto(fd, buf, n, flags, addr, len);
    /* port=: where the datagram went, so a verdict can say it went astray (-1: no address, a connected socket). */
    if (active) emit("call sendto ret=%zd errno=%d fd=%d len=%zu family=%d port=%d", r, r < 0 ? errno : 0, fd, n, family_of(addr, len), port_of(addr, len));
    return r;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    REAL(ssize_t, sendmsg, int, const struct msghdr *, int);
    if (injected("sendmsg")) {
        emit("call sendmsg ret=-1 errno=%d fd=%d" INJECTED_TAIL, errno, fd);
        return -1;
    }
    ssize_t r = real_sendmsg(fd, msg, flags);
    if (active) emit("call sendmsg ret=%zd errno=%d fd=%d", r, r < 0 ? errno : 0, fd);
    return r;
}

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(ssize_t, write, int, const void *, size_t);
    if (!active || !is_net_socket(fd)) return real_write(fd, buf, n);
    if (injected("write")) {
        emit("call write ret=-1 errno=%d fd=%d len=%zu" INJECTED_TAIL, errno, fd, n);
        return -1;
    }
    ssize_t r = real_write(fd, buf, n);
    emit("call write ret=%zd errno=%d fd=%d len=%zu", r, r < 0 ? errno : 0, fd, n);
    return r;
}

/*
 * The room a receive was given for the sender's address, read without
 * trusting the pointer: a bad one must make the call fail (EFAULT) as it would
 * without the shim, not crash the shim. 0: no address asked for, or unreadable.
 */
static int peek(const void *at, void *out, size_t n) {
    if (!at) return 0;
    struct iovec local = { out, n }, remote = { (void *)at, n };
    return syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L) == (long)n;
}

/*
 * " room=R addrlen=L family=F" after a receive that filled in the sender's
 * address: R the room the program gave, L the length the kernel says the
 * address has (more than R: it was cut to fit, e.g. an IPv6 sender's 28 bytes
 * in a 16-byte struct sockaddr). The kernel wrote *len, so it can be read.
 */
static void address_fields(char *out, size_t size, ssize_t r, int asked, socklen_t room, const struct sockaddr *addr, const socklen_t *len) {
    out[0] = '\0';
    if (r < 0 || !asked || !addr || !len) return;
    int family = room >= (socklen_t)sizeof(sa_family_t) ? addr->sa_family : -1;
    snprintf(out, size, " room=%u addrlen=%u family=%d", (unsigned)room, (unsigned)*len, family);
}

/* The receives: one body for the plain and the _FORTIFY_SOURCE (__*_chk) entry points.
 * `after` fills `more` (extra fields) once the call is made. */
#define RECEIVE_WITH(name, call, after)                                                     \
    do {                                                                                    \
        if (injected(name)) {                                                               \
            emit("call " name " ret=-1 errno=%d fd=%d" INJECTED_TAIL, errno, fd);          \
            return -1;                                                                      \
        }                                                                                   \
        emit("enter " name " fd=%d", fd);                                                   \
        ssize_t r = call;                                                                   \
        int saved = errno;                                                                  \
        char more[96] = "";                                                                 \
        after;                                                                              \
        emit("call " name " ret=%zd errno=%d fd=%d%s", r, r < 0 ? saved : 0, fd, more);    \
        errno = saved;                                                                      \
        return r;                                                                           \
    } while (0)

#define RECEIVE(name, call) RECEIVE_WITH(name, call, (void)more)

/* recvfrom: the room given for the sender's address, and what the kernel needed. */
#define RECEIVE_FROM(call)                                                                  \
    socklen_t room = 0;                                                                     \
    int asked = addr && peek(len, &room, sizeof room);                                      \
    RECEIVE_WITH("recvfrom", call, address_fields(more, sizeof more, r, asked, room, addr, len))

ssize_t recv(int fd, void *buf, size_t n, int flags) {
    REAL(ssize_t, recv, int, void *, size_t, int);
    if (!active) return real_recv(fd, buf, n, flags);
    RECEIVE("recv", real_recv(fd, buf, n, flags));
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags) {
    REAL(ssize_t, __recv_chk, int, void *, size_t, size_t, int);
    if (!active) return real___recv_chk(fd, buf, n, buflen, flags);
    RECEIVE("recv", real___recv_chk(fd, buf, n, buflen, flags));
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len) {
    REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
    if (!active) return real_recvfrom(fd, buf, n, flags, addr, len);
    RECEIVE_FROM(real_recvfrom(fd, buf, n, flags, addr, len));
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr, socklen_t *len) {
    REAL(ssize_t, __recvfrom_chk, int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
    if (!active) return real___recvfrom_chk(fd, buf, n, buflen, flags, addr, len);
    RECEIVE_FROM(real___recvfrom_chk(fd, buf, n, buflen, flags, addr, len));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    REAL(ssize_t, recvmsg, int, struct msghdr *, int);
    if (!active) return real_recvmsg(fd, msg, flags);
    struct msghdr seen;
    int asked = peek(msg, &seen, sizeof seen) && seen.msg_name;
    socklen_t room = asked ? seen.msg_namelen : 0;
    RECEIVE_WITH("recvmsg", real_recvmsg(fd, msg, flags),
                 address_fields(more, sizeof more, r, asked, room, seen.msg_name, &msg->msg_namelen));
}

ssize_t read(int fd, void *buf, size_t n) {
    REAL(ssize_t, read, int, void *, size_t);
    if (!active || !is_net_socket(fd)) return real_read(fd, buf, n);
    RECEIVE("read", real_read(fd, buf, n));
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen) {
    REAL(ssize_t, __read_chk, int, void *, size_t, size_t);
    if (!active || !is_net_socket(fd)) return real___read_chk(fd, buf, n, buflen);
    RECEIVE("read", real___read_chk(fd, buf, n, buflen));
}
