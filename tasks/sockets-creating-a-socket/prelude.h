/* Given before the student's file, as the exercise's template does: the
 * headers the function needs, and its prototype (a different signature in the
 * student's file is a compile error that says so). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

int create_and_send_message(const struct sockaddr *dest_addr, socklen_t addrlen);
