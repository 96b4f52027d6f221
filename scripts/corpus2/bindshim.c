/* LD_PRELOAD shim: bind every unbound IPv4 TCP socket to $BIND_ADDR (port 0) before connect().
 * Used for tools that cannot choose their source address (hydra, ncftp), so each tool run gets a loopback
 * source address of its own and its control connections can be labelled.  Loopback addresses only.
 * Built at run time by scripts/capture-corpus2.sh: gcc -shared -fPIC -o bindshim.so bindshim.c -ldl */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real_connect)(int, const struct sockaddr *, socklen_t);
  if (!real_connect) real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
  const char *src = getenv("BIND_ADDR");
  if (src && addr && addr->sa_family == AF_INET) {
    struct sockaddr_in cur;
    socklen_t cl = sizeof cur;
    int type = 0;
    socklen_t tl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM &&
        getsockname(fd, (struct sockaddr *)&cur, &cl) == 0 && cur.sin_family == AF_INET &&
        cur.sin_addr.s_addr == htonl(INADDR_ANY) && cur.sin_port == 0) {
      struct sockaddr_in b;
      memset(&b, 0, sizeof b);
      b.sin_family = AF_INET;
      if (inet_pton(AF_INET, src, &b.sin_addr) == 1 && (ntohl(b.sin_addr.s_addr) >> 24) == 127) {
        /* let connect() choose the port knowing the whole 4-tuple, so one run does not reuse endpoints */
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        bind(fd, (struct sockaddr *)&b, sizeof b);
      }
    }
  }
  return real_connect(fd, addr, len);
}
