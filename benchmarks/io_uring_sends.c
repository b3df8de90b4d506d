// What batching sends through io_uring would save a socket worker (docs/benchmarks.md, "Sends
// batched through io_uring"): CPU per message of a sender that writes a 160-byte message to each
// of N TCP loopback connections in turn, 150,000 a second, either one send() per message or one
// io_uring_submit_and_wait per batch. The sender runs on core 0, a thread draining every
// connection with epoll on core 1. Not built with the project (it would make liburing a
// dependency):
//   apt-get install liburing-dev
//   gcc -O2 -o io_uring_sends benchmarks/io_uring_sends.c -luring -lpthread
//   ./io_uring_sends send|uring CONNECTIONS BATCH SECONDS      e.g. ./io_uring_sends uring 1000 64 4
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int n;
static int *server_fds, *client_fds;
static atomic_int stop_flag;

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void *reader(void *arg) {
  (void)arg;
  pin(1);
  int ep = epoll_create1(0);
  for (int i = 0; i < n; ++i) {
    struct epoll_event e = {.events = EPOLLIN, .data.fd = client_fds[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, client_fds[i], &e);
  }
  struct epoll_event events[256];
  char buffer[65536];
  while (!atomic_load(&stop_flag)) {
    int k = epoll_wait(ep, events, 256, 100);
    for (int i = 0; i < k; ++i) {
      while (recv(events[i].data.fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  const int uring = strcmp(argv[1], "uring") == 0;  // else send()
  n = atoi(argv[2]);
  const int batch = atoi(argv[3]);
  const double seconds = atof(argv[4]);
  server_fds = calloc(n, sizeof(int));
  client_fds = calloc(n, sizeof(int));
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4096);
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  for (int i = 0; i < n; ++i) {
    client_fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client_fds[i], (struct sockaddr *)&address, sizeof address) != 0) return 3;
    server_fds[i] = accept(listener, NULL, NULL);
    int one = 1;
    setsockopt(server_fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  pthread_t thread;
  pthread_create(&thread, NULL, reader, NULL);
  pin(0);
  char message[160];
  memset(message, 'x', sizeof message);
  struct io_uring ring;
  if (uring && io_uring_queue_init(batch * 2, &ring, 0) != 0) return 4;
  long sent = 0;
  int next = 0;
  const double start_cpu = thread_cpu(), start = now();
  while (now() - start < seconds) {
    if (!uring) {
      for (int b = 0; b < batch; ++b) {
        if (send(server_fds[next], message, sizeof message, MSG_DONTWAIT) > 0) ++sent;
        next = (next + 1) % n;
      }
    } else {
      for (int b = 0; b < batch; ++b) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_send(sqe, server_fds[next], message, sizeof message, MSG_DONTWAIT);
        next = (next + 1) % n;
      }
      io_uring_submit_and_wait(&ring, batch);
      struct io_uring_cqe *cqe;
      unsigned head, seen = 0;
      io_uring_for_each_cqe(&ring, head, cqe) {
        if (cqe->res > 0) ++sent;
        ++seen;
      }
      io_uring_cq_advance(&ring, seen);
    }
    // Pace: about 150,000 messages a second, like the capacity run.
    const double due = start + sent / 150000.0;
    while (now() < due) {
      struct timespec pause = {0, 200000};
      nanosleep(&pause, NULL);
    }
  }
  const double cpu = thread_cpu() - start_cpu, wall = now() - start;
  atomic_store(&stop_flag, 1);
  pthread_join(thread, NULL);
  printf("%s connections=%d batch=%d sent=%ld msgs/s=%.0f sender_cpu=%.3f ns_per_msg=%.0f\n", argv[1], n, batch, sent,
         sent / wall, cpu, cpu / sent * 1e9);
  return 0;
}
