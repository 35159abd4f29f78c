/* Hidden harness of sockets-client-application: calls the function once with
 * [::1]:PORT (where the grader's peer listens and answers), the operation, the
 * format and the integers, then reports what it returned and what it stored
 * in *result. Arguments after the library and the function name:
 * PORT OPERATION FORMAT INT... */
#include "sockgrade_harness.h"
#include "prelude.h"

/* What *result holds before the call: seeing it after means nothing was stored. */
#define UNTOUCHED ((int)0x5ca1ab1e)

int main(int argc, char **argv) {
    struct sg_run run = sg_start(argc, argv);
    struct sockaddr_in6 dest = sg_loopback(sg_arg(&run, 0));
    char operation = sg_arg(&run, 1)[0];
    char format = sg_arg(&run, 2)[0];
    size_t n = (size_t)(run.argc - 3);
    /* Exactly n integers: reading past them reads past the allocation. */
    int *ints = malloc((n ? n : 1) * sizeof *ints);
    if (!ints) sg_fail("out of memory");
    for (size_t i = 0; i < n; i++) ints[i] = (int)strtoul(run.argv[3 + i], NULL, 10);
    int result = UNTOUCHED;
    __typeof__(create_and_send_message) *function = (__typeof__(create_and_send_message) *)sg_load(&run);
    sg_calling();
    int r = function((const struct sockaddr *)&dest, sizeof dest, ints, n, operation, format, &result);
    sg_returned(r);
    if (result == UNTOUCHED) sg_report("result-untouched");
    else sg_report("result %u", (unsigned)result);
    sg_done();
}
