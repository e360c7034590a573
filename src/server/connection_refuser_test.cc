#include "server/connection_refuser.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace cacheopt {
namespace {

// Reads until the peer closes or 5 s pass.
std::string ReadAll(int fd) {
  std::string got;
  char buf[1024];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(ConnectionRefuser, AnswersAfterReadingTheRequestAndCloses) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ConnectionRefuser r("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(sv[1], req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  r.Refuse(sv[0]);
  EXPECT_EQ(ReadAll(sv[1]), "HTTP/1.1 503 Service Unavailable\r\n\r\n");
  ::close(sv[1]);
  for (int i = 0; i < 200 && r.answered() == 0; ++i) ::usleep(5000);
  EXPECT_EQ(r.answered(), 1);
  EXPECT_EQ(r.dropped(), 0);
}

TEST(ConnectionRefuser, AnswersASilentClientAfterAShortWait) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ConnectionRefuser r("busy");
  r.Refuse(sv[0]);
  EXPECT_EQ(ReadAll(sv[1]), "busy");  // within the 100 ms wait plus the linger
  ::close(sv[1]);
}

TEST(ConnectionRefuser, BeyondItsPendingLimitClosesWithoutAnAnswer) {
  ConnectionRefuser r("busy", 1);
  int a[2], b[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
  r.Refuse(a[0]);  // lingers for a while: the one pending slot is taken
  r.Refuse(b[0]);
  EXPECT_EQ(ReadAll(b[1]), "");
  EXPECT_EQ(r.dropped(), 1);
  EXPECT_EQ(ReadAll(a[1]), "busy");
  ::close(a[1]);
  ::close(b[1]);
}

}  // namespace
}  // namespace cacheopt
