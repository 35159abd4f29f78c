/* Hidden harness of a receiving function: calls it once with [::1]:PORT, the
 * address it must bind; the grader's peer sends there once the port is bound,
 * and checks the answer. Reports what the function returned.
 * Arguments after the library and the function name: PORT. */
#include "sockgrade_harness.h"
#include "prelude.h"

int main(int argc, char **argv) {
    struct sg_run run = sg_start(argc, argv);
    struct sockaddr_in6 src = sg_loopback(sg_arg(&run, 0));
    __typeof__(recv_and_handle_message) *function = (__typeof__(recv_and_handle_message) *)sg_load(&run);
    sg_calling();
    int r = function((const struct sockaddr *)&src, sizeof src);
    sg_returned(r);
    sg_done();
}
