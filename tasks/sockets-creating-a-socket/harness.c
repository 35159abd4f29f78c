/* Hidden harness of sockets-creating-a-socket: calls the function once with
 * [::1]:PORT, where the grader's peer listens, and reports what it returned.
 * Arguments after the library and the function name: PORT. */
#include "sockgrade_harness.h"
#include "prelude.h"

int main(int argc, char **argv) {
    struct sg_run run = sg_start(argc, argv);
    __typeof__(create_and_send_message) *function = (__typeof__(create_and_send_message) *)run.function;
    struct sockaddr_in6 dest = sg_loopback(sg_arg(&run, 0));
    sg_calling();
    int r = function((const struct sockaddr *)&dest, sizeof dest);
    sg_returned(r);
    return 0;
}
