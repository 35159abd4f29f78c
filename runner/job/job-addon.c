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
 * Also mount(2) and umount2(MNT_DETACH), to put a grade's scratch tmpfs and
 * its sandboxes' /etc view up and down, without a process for each; and "is this UDP
 * port bound?" asked of the kernel's socket diagnostics (netlink sock_diag,
 * filtered to the one port): /proc/net/udp6 formats every socket of the
 * namespace as text (~1 ms with the peer's 260 sockets), and readiness asks
 * it every 2 ms while a program starts.
 *
 * And the network of each grade after the first (runner/sandbox/network.ts),
 * set up through rtnetlink as `ip -batch` would set it, without a process:
 * Node starts a process by forking itself, which costs more than `ip` does.
 *
 * And waitpid() for the CLI, the one place it loads this addon: the job the
 * `sockgrade` command's shell line started is the CLI's child, but not one
 * Node spawned, so Node never reaps it, and a child nobody reaps is counted
 * in nobody's CPU time (`time sockgrade grade ...` would leave the job out).
 *
 * And what the kept sandbox (runner/sandbox/kept-sandbox.ts) needs: socket
 * pairs made here (Node makes none it hands out as descriptors), and a
 * message sent with descriptors attached (SCM_RIGHTS), which Node's own
 * sockets cannot send.
 *
 * And a process start without forking Node (spawnProcess): Node starts a
 * process by fork(), which copies the page tables of its whole heap and
 * leaves it to fault every page it writes next (~10-15 ms of the job's
 * main thread a start here, two sandboxes a grade). Here the child shares
 * the job's memory until it execs (clone with CLONE_VM | CLONE_VFORK, as
 * posix_spawn does), and changes its ids with raw system calls, which
 * posix_spawn cannot (a root job starts its sandboxes as another uid). Its
 * end is waited for on a thread of its own and reported on the main thread,
 * which reaps it there: its pid cannot be reused while the job may still
 * signal it.
 *
 * Written against Node-API (stable ABI), built with gcc like every other
 * helper (runner/sandbox/native.ts).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <net/if.h>

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

/* Reads argument `i` as a string into `out`; 0 when it is not one or does not fit. */
static int string_arg(napi_env env, napi_value *argv, size_t argc, size_t i, char *out, size_t size) {
    size_t len = 0;
    return i < argc && napi_get_value_string_utf8(env, argv[i], out, size, &len) == napi_ok && len < size - 1;
}

/* mountTmpfs(target, options, name = 'sockgrade-scratch'): a nosuid, nodev tmpfs. */
static napi_value mount_tmpfs(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3];
    char target[4096], options[512], name[64] = "sockgrade-scratch";
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||
        !string_arg(env, argv, argc, 0, target, sizeof target) || !string_arg(env, argv, argc, 1, options, sizeof options) ||
        (argc > 2 && !string_arg(env, argv, argc, 2, name, sizeof name))) {
        napi_throw_type_error(env, NULL, "mountTmpfs(target, options, name?): strings");
        return NULL;
    }
    if (mount(name, target, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) {
        char what[4200];
        snprintf(what, sizeof what, "mount tmpfs on %s", target);
        return throw_errno(env, what);
    }
    return NULL;
}

/* Reads two string arguments into `a` and `b`; throws `usage` (and returns 0) when they are not two strings that fit. */
static int two_strings(napi_env env, napi_callback_info info, char *a, size_t a_size, char *b, size_t b_size, const char *usage) {
    size_t argc = 2;
    napi_value argv[2];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok &&
        string_arg(env, argv, argc, 0, a, a_size) && string_arg(env, argv, argc, 1, b, b_size))
        return 1;
    napi_throw_type_error(env, NULL, usage);
    return 0;
}

/* bindMount(source, target): mount --rbind source target. */
static napi_value bind_mount(napi_env env, napi_callback_info info) {
    char source[4096], target[4096];
    if (!two_strings(env, info, source, sizeof source, target, sizeof target, "bindMount(source, target): two strings")) return NULL;
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) != 0) {
        char what[8300];
        snprintf(what, sizeof what, "bind %s on %s", source, target);
        return throw_errno(env, what);
    }
    return NULL;
}

/* remountReadOnly(target, options): a tmpfs made read-only (nosuid, nodev), its options kept. */
static napi_value remount_read_only(napi_env env, napi_callback_info info) {
    char target[4096], options[512];
    if (!two_strings(env, info, target, sizeof target, options, sizeof options, "remountReadOnly(target, options): two strings")) return NULL;
    if (mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, options) != 0) {
        char what[4200];
        snprintf(what, sizeof what, "remount %s read-only", target);
        return throw_errno(env, what);
    }
    return NULL;
}

/*
 * 1: a UDP socket of this family is bound to `port` (any address), 0: none,
 * -1: the kernel cannot say (no UDP diagnostics): the caller reads /proc.
 */
static int udp_bound(int family, unsigned short port) {
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
        struct nlattr attr;
        struct inet_diag_bc_op ops[4];
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = family;
    msg.req.sdiag_protocol = IPPROTO_UDP;
    msg.req.idiag_states = ~0U;
    msg.attr.nla_type = INET_DIAG_REQ_BYTECODE;
    msg.attr.nla_len = sizeof msg.attr + sizeof msg.ops;
    /* sport >= port, then sport <= port: a jump past the end (+4) rejects the socket. */
    msg.ops[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8, 16 + 4 };
    msg.ops[1] = (struct inet_diag_bc_op){ 0, 0, port };
    msg.ops[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8, 8 + 4 };
    msg.ops[3] = (struct inet_diag_bc_op){ 0, 0, port };

    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)sizeof msg) {
        close(fd);
        return -1;
    }
    int found = 0;
    long buf[8192 / sizeof(long)];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { found = -1; break; }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) goto done;
            if (h->nlmsg_type == NLMSG_ERROR) { found = -1; goto done; }
            if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) found = 1;
        }
    }
done:
    close(fd);
    return found;
}

/* udpPortBound(family 4|6, port): true, false, or null when the kernel cannot say. */
static napi_value udp_port_bound(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], result;
    int32_t family = 0, port = -1;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
        napi_get_value_int32(env, argv[0], &family) != napi_ok || napi_get_value_int32(env, argv[1], &port) != napi_ok ||
        (family != 4 && family != 6) || port < 0 || port > 65535) {
        napi_throw_type_error(env, NULL, "udpPortBound(family, port): 4 or 6, and a port");
        return NULL;
    }
    int bound = udp_bound(family == 6 ? AF_INET6 : AF_INET, (unsigned short)port);
    if (bound < 0) napi_get_null(env, &result);
    else napi_get_boolean(env, bound == 1, &result);
    return result;
}

/* socketPair(seqpacket): [a, b], two connected AF_UNIX sockets, close-on-exec; stream ones unless `seqpacket`. */
static napi_value socket_pair(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], result, v;
    bool seqpacket = false;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
    if (argc >= 1) napi_get_value_bool(env, argv[0], &seqpacket);
    int fds[2];
    if (socketpair(AF_UNIX, (seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0, fds) != 0)
        return throw_errno(env, "socketpair");
    napi_create_array_with_length(env, 2, &result);
    for (uint32_t i = 0; i < 2; i++) {
        napi_create_int32(env, fds[i], &v);
        napi_set_element(env, result, i, v);
    }
    return result;
}

/* sendWithFds(fd, bytes, fds): one message on socket `fd` with `fds` attached; never blocks (EAGAIN throws). */
static napi_value send_with_fds(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3];
    int32_t fd = -1;
    void *data = NULL;
    size_t len = 0;
    uint32_t count = 0;
    bool is_array = false;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
        napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
        napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
        napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
        napi_get_array_length(env, argv[2], &count) != napi_ok || count > 16) {
        napi_throw_type_error(env, NULL, "sendWithFds(fd, buffer, fds): a socket, a Buffer and at most 16 descriptors");
        return NULL;
    }
    int fds[16];
    for (uint32_t i = 0; i < count; i++) {
        napi_value v;
        if (napi_get_element(env, argv[2], i, &v) != napi_ok || napi_get_value_int32(env, v, &fds[i]) != napi_ok) {
            napi_throw_type_error(env, NULL, "sendWithFds: descriptors are integers");
            return NULL;
        }
    }
    struct iovec iov = { .iov_base = data, .iov_len = len };
    union { char space[CMSG_SPACE(sizeof(int) * 16)]; struct cmsghdr align; } cmsg;
    memset(&cmsg, 0, sizeof cmsg);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (count > 0) {
        msg.msg_control = cmsg.space;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    }
    ssize_t n;
    do n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len) return throw_errno(env, "sendmsg");
    return NULL;
}

/* ---- The grade's network, through rtnetlink ------------------------------ */

/* One request: its header, its family's header and attributes. */
struct nl_request {
    struct nlmsghdr h;
    char room[1024];
};

static struct rtattr *nl_tail(struct nl_request *r) {
    return (struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));
}

static void nl_attr(struct nl_request *r, unsigned short type, const void *data, size_t len) {
    struct rtattr *a = nl_tail(r);
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct rtattr *nl_nest(struct nl_request *r, unsigned short type) {
    struct rtattr *a = nl_tail(r);
    nl_attr(r, type, NULL, 0);
    return a;
}

static void nl_nest_end(struct nl_request *r, struct rtattr *a) {
    a->rta_len = (unsigned short)((char *)&r->h + r->h.nlmsg_len - (char *)a);
}

/* A request of `type` with its family header `head` (`head_len` bytes). */
static void nl_start(struct nl_request *r, unsigned short type, unsigned short flags, const void *head, size_t head_len) {
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = (unsigned)NLMSG_LENGTH(head_len);
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    memcpy(NLMSG_DATA(&r->h), head, head_len);
}

/* Sends the request and reads the kernel's answer to it: 0, or an errno. */
static int nl_talk(int fd, struct nl_request *r) {
    static unsigned seq;
    r->h.nlmsg_seq = ++seq;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
    char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
            return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
        }
    }
}

/* `ip link set NAME up`. */
static int link_up(int fd, const char *name) {
    struct nl_request r;
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    nl_start(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
    nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
    return nl_talk(fd, &r);
}

/* `ip link add NAME type veth peer name PEER`, or with PEER NULL `ip link add NAME type dummy`. */
static int link_add(int fd, const char *name, const char *peer) {
    struct nl_request r;
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
    nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
    const char *kind = peer ? "veth" : "dummy";
    nl_attr(&r, IFLA_INFO_KIND, kind, strlen(kind));
    if (peer) {
        struct rtattr *data = nl_nest(&r, IFLA_INFO_DATA);
        struct rtattr *other = nl_nest(&r, VETH_INFO_PEER);
        struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
        /* The peer's own ifinfomsg comes first, then its attributes. */
        memcpy(RTA_DATA(other), &peer_ifi, sizeof peer_ifi);
        r.h.nlmsg_len += NLMSG_ALIGN(sizeof peer_ifi);
        nl_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
        nl_nest_end(&r, other);
        nl_nest_end(&r, data);
    }
    nl_nest_end(&r, info);
    return nl_talk(fd, &r);
}

/* `ip link set NAME addrgenmode none`: no link-local address, no router solicitation. */
static int no_addrgen(int fd, const char *name) {
    struct nl_request r;
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    nl_start(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
    nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *spec = nl_nest(&r, IFLA_AF_SPEC);
    struct rtattr *inet6 = nl_nest(&r, AF_INET6);
    unsigned char mode = IN6_ADDR_GEN_MODE_NONE;
    nl_attr(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
    nl_nest_end(&r, inet6);
    nl_nest_end(&r, spec);
    return nl_talk(fd, &r);
}

/* `ip addr add ADDR/PREFIX dev NAME` (nodad for IPv6): 0, an errno, or EINVAL for an address that does not parse. */
static int addr_add(int fd, const char *name, int family, const char *text, unsigned char prefix) {
    unsigned char addr[16];
    if (inet_pton(family, text, addr) != 1) return EINVAL;
    unsigned index = if_nametoindex(name);
    if (index == 0) return errno;
    struct nl_request r;
    struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family, .ifa_prefixlen = prefix, .ifa_index = index,
                             .ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0 };
    nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
    size_t len = family == AF_INET6 ? 16 : 4;
    nl_attr(&r, IFA_LOCAL, addr, len);
    nl_attr(&r, IFA_ADDRESS, addr, len);
    return nl_talk(fd, &r);
}

/*
 * setUpNetwork(name, peer, ipv6, ipv4): in the calling thread's network
 * namespace, loopback up, then NAME (a veth whose other end, PEER, stays
 * down; a dummy where no veth can be made) with addrgenmode none, IPV6/128
 * (nodad) and IPV4/32, up: the lines runner/sandbox/network.ts gives `ip`.
 * Throws what failed; when no link could be made, "veth: ...; dummy: ...".
 */
static napi_value set_up_network(napi_env env, napi_callback_info info) {
    size_t argc = 4;
    napi_value argv[4];
    char name[IFNAMSIZ], peer[IFNAMSIZ], ipv6[64], ipv4[32];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
        !string_arg(env, argv, argc, 0, name, sizeof name) || !string_arg(env, argv, argc, 1, peer, sizeof peer) ||
        !string_arg(env, argv, argc, 2, ipv6, sizeof ipv6) || !string_arg(env, argv, argc, 3, ipv4, sizeof ipv4)) {
        napi_throw_type_error(env, NULL, "setUpNetwork(name, peer, ipv6, ipv4): four strings");
        return NULL;
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return throw_errno(env, "socket(NETLINK_ROUTE)");
    char msg[256] = "";
    const char *step = NULL;
    int e = link_up(fd, "lo");
    if (e) step = "lo up";
    if (!e) {
        int veth = link_add(fd, name, peer);
        int dummy = veth ? link_add(fd, name, NULL) : 0;
        if (veth && dummy) {
            snprintf(msg, sizeof msg, "veth: %s; dummy: %s", strerror(veth), strerror(dummy));
            e = dummy;
        }
    }
    if (!e && (e = no_addrgen(fd, name))) step = "addrgenmode none";
    if (!e && (e = addr_add(fd, name, AF_INET6, ipv6, 128))) step = ipv6;
    if (!e && (e = addr_add(fd, name, AF_INET, ipv4, 32))) step = ipv4;
    if (!e && (e = link_up(fd, name))) step = "link up";
    close(fd);
    if (step) snprintf(msg, sizeof msg, "%s: %s", step, strerror(e));
    if (e) napi_throw_error(env, NULL, msg);
    return NULL;
}

/* reap(pid): the wait status of the child `pid` once it has ended (it is then reaped), null while it runs; throws for a pid that is not our child. */
static napi_value reap(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], result;
    int32_t pid = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
        napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
        napi_throw_type_error(env, NULL, "reap(pid): a positive pid");
        return NULL;
    }
    int status = 0;
    pid_t got;
    do got = waitpid(pid, &status, WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got < 0) return throw_errno(env, "waitpid");
    if (got == 0) napi_get_null(env, &result);
    else napi_create_int32(env, status, &result);
    return result;
}

/* The child's part of spawnProcess, on its own stack in the job's memory: only system calls until execve. */
struct spawn_args {
    const char *file;
    char **argv, **envp;
    const char *cwd;
    int *fds;
    int nfds;
    int uid, gid;
    int devnull;
    int err;      /* errno of the step that failed, 0 when execve succeeded */
    const char *step;
};

static int spawn_child(void *p) {
    struct spawn_args *a = p;
    /* Handlers are the job's code: none may run here. Ignored signals stay ignored across exec: none may be. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
    a->step = "setsid";
    if (setsid() < 0) goto fail;
    /* Every source out of the way of the targets first, then each put in place (dup2 clears close-on-exec). */
    a->step = "dup";
    for (int i = 0; i < a->nfds; i++) {
        int src = a->fds[i] < 0 ? a->devnull : a->fds[i];
        if (src < a->nfds && (src = fcntl(src, F_DUPFD_CLOEXEC, a->nfds)) < 0) goto fail;
        a->fds[i] = src;
    }
    for (int i = 0; i < a->nfds; i++)
        if (dup2(a->fds[i], i) < 0) goto fail;
    a->step = "chdir";
    if (a->cwd && chdir(a->cwd) < 0) goto fail;
    /* Raw calls: glibc's setuid would signal every thread of the process, and those are the job's. */
    a->step = "setgid";
    if (a->gid >= 0 && (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0)) goto fail;
    a->step = "setuid";
    if (a->uid >= 0 && syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0) goto fail;
    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
    a->step = "execve";
    execve(a->file, a->argv, a->envp);
fail:
    a->err = errno;
    _exit(127);
}

/* One child's end: waited for (not reaped) on its own thread, reaped and reported on the main thread. */
struct child_end {
    pid_t pid;
    napi_threadsafe_function tsfn;
};

static void *await_child(void *p) {
    struct child_end *c = p;
    /* The main thread frees `c` once it has reported the end, perhaps before the call below returns. */
    napi_threadsafe_function tsfn = c->tsfn;
    siginfo_t si;
    while (waitid(P_PID, c->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR);
    napi_call_threadsafe_function(tsfn, c, napi_tsfn_blocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    return NULL;
}

static void report_end(napi_env env, napi_value js_cb, void *context, void *data) {
    (void)context;
    struct child_end *c = data;
    int status = -1;
    pid_t got;
    do got = waitpid(c->pid, &status, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0) status = -1;
    free(c);
    if (!env) return;
    napi_value arg, undefined;
    napi_create_int32(env, status, &arg);
    napi_get_undefined(env, &undefined);
    if (napi_call_function(env, undefined, js_cb, 1, &arg, NULL) == napi_pending_exception) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err); /* as a throw in an event handler */
    }
}

/* A JS array of strings as a NULL-terminated vector in one allocation; NULL when it is not one. */
static char **string_vector(napi_env env, napi_value array) {
    uint32_t n = 0;
    bool is_array = false;
    if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &n) != napi_ok) return NULL;
    size_t bytes = (n + 1) * sizeof(char *);
    napi_value v;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        if (napi_get_element(env, array, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
        bytes += len + 1;
    }
    char **out = malloc(bytes);
    if (!out) return NULL;
    char *text = (char *)(out + n + 1);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        napi_get_element(env, array, i, &v);
        napi_get_value_string_utf8(env, v, NULL, 0, &len);
        napi_get_value_string_utf8(env, v, text, len + 1, &len);
        out[i] = text;
        text += len + 1;
    }
    out[n] = NULL;
    return out;
}

#define SPAWN_STACK (64 * 1024)
#define SPAWN_MAX_FDS 16

/*
 * spawnProcess(file, argv, env, cwd, fds, uid, gid, onExit): starts `file`
 * (a path) with `argv` and `env` (KEY=value strings) in `cwd` (null: the
 * job's), in a session of its own, as `uid`/`gid` (-1: unchanged), with
 * descriptor i set to fds[i] (-1: /dev/null) and no other descriptor of the
 * job (all of them are close-on-exec). Returns its pid; onExit(waitStatus) is
 * called once it has ended, after it is reaped. Throws an error whose
 * `errno` is that of the step that failed when it could not be started.
 */
static napi_value spawn_process(napi_env env, napi_callback_info info) {
    size_t argc = 8;
    napi_value argv[8], result;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) {
        napi_throw_type_error(env, NULL, "spawnProcess(file, argv, env, cwd, fds, uid, gid, onExit)");
        return NULL;
    }
    struct spawn_args a;
    memset(&a, 0, sizeof a);
    char file[4096], cwd[4096];
    napi_valuetype cwd_type;
    int fds[SPAWN_MAX_FDS];
    uint32_t nfds = 0;
    int32_t uid = -1, gid = -1;
    napi_typeof(env, argv[3], &cwd_type);
    if (!string_arg(env, argv, argc, 0, file, sizeof file) || (cwd_type != napi_null && !string_arg(env, argv, argc, 3, cwd, sizeof cwd))) {
        napi_throw_type_error(env, NULL, "spawnProcess: file and cwd are paths (cwd may be null)");
        return NULL;
    }
    napi_get_array_length(env, argv[4], &nfds);
    napi_get_value_int32(env, argv[5], &uid);
    napi_get_value_int32(env, argv[6], &gid);
    if (nfds > SPAWN_MAX_FDS) {
        napi_throw_range_error(env, NULL, "spawnProcess: too many descriptors");
        return NULL;
    }
    for (uint32_t i = 0; i < nfds; i++) {
        napi_value v;
        int32_t fd = -1;
        napi_get_element(env, argv[4], i, &v);
        napi_get_value_int32(env, v, &fd);
        fds[i] = fd;
    }
    struct child_end *end = calloc(1, sizeof *end);
    napi_value name;
    napi_create_string_utf8(env, "sockgrade child end", NAPI_AUTO_LENGTH, &name);
    if (!end || napi_create_threadsafe_function(env, argv[7], NULL, name, 0, 1, NULL, NULL, NULL, report_end, &end->tsfn) != napi_ok) {
        free(end);
        napi_throw_error(env, NULL, "spawnProcess: cannot set up the wait for the child's end");
        return NULL;
    }
    a.file = file;
    a.argv = string_vector(env, argv[1]);
    a.envp = string_vector(env, argv[2]);
    a.cwd = cwd_type == napi_null ? NULL : cwd;
    a.fds = fds;
    a.nfds = (int)nfds;
    a.uid = uid;
    a.gid = gid;
    a.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    char *stack = malloc(SPAWN_STACK);
    pid_t pid = -1;
    int saved = 0;
    if (a.argv && a.envp && stack && a.devnull >= 0) {
        /* No signal handler may run in the child, nor on the waiting thread: all blocked until both exist. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        pid = clone(spawn_child, stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
        saved = errno;
        if (pid > 0 && a.err) { /* it ended without exec: reap it, say why */
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR);
            pid = -1;
            saved = a.err;
        } else if (pid > 0) {
            end->pid = pid;
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            pthread_attr_setstacksize(&attr, 64 * 1024);
            if (pthread_create(&t, &attr, await_child, end) != 0) {
                /* No thread to wait: the child must not run unwatched. */
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR);
                pid = -1;
                saved = EAGAIN;
                a.step = "pthread_create";
            }
            pthread_attr_destroy(&attr);
        } else {
            a.step = "clone";
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    } else {
        saved = errno ? errno : ENOMEM;
        a.step = "set-up";
    }
    if (a.devnull >= 0) close(a.devnull);
    free(stack);
    free(a.argv);
    free(a.envp);
    if (pid < 0) {
        napi_release_threadsafe_function(end->tsfn, napi_tsfn_abort);
        free(end);
        char msg[4400];
        snprintf(msg, sizeof msg, "spawn %s: %s: %s", file, a.step ? a.step : "start", strerror(saved));
        napi_value message, error, code;
        napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
        napi_create_error(env, NULL, message, &error);
        napi_create_int32(env, saved, &code);
        napi_set_named_property(env, error, "errno", code);
        napi_throw(env, error);
        return NULL;
    }
    napi_create_int32(env, pid, &result);
    return result;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
    napi_value fn;
    if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok)
        napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
    export_fn(env, exports, "freshNetwork", fresh_network);
    export_fn(env, exports, "detach", detach);
    export_fn(env, exports, "mountTmpfs", mount_tmpfs);
    export_fn(env, exports, "bindMount", bind_mount);
    export_fn(env, exports, "remountReadOnly", remount_read_only);
    export_fn(env, exports, "udpPortBound", udp_port_bound);
    export_fn(env, exports, "socketPair", socket_pair);
    export_fn(env, exports, "sendWithFds", send_with_fds);
    export_fn(env, exports, "setUpNetwork", set_up_network);
    export_fn(env, exports, "reap", reap);
    export_fn(env, exports, "spawnProcess", spawn_process);
    return exports;
}
