/* Hidden harness of sockets-creating-a-socket: calls the function once with
 * [::1]:PORT, where the grader's peer listens, and reports what it returned.
 * Arguments after the library and the function name: PORT. */
#include "sockgrade_harness.h"
#include "prelude.h"

int main(int argc, char **argv) {
    struct sg_run run = sg_start(argc, argv);
    struct sockaddr_in6 dest = sg_loopback(sg_arg(&run, 0));
    __typeof__(create_and_send_message) *function = (__typeof__(create_and_send_message) *)sg_load(&run);
    sg_calling();
    int r = function((const struct sockaddr *)&dest, sizeof dest);
    sg_returned(r);
    sg_done();
}
