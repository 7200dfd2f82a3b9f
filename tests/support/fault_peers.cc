#include "tests/support/fault_peers.h"

#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace meshgate::testing {
namespace {

std::chrono::microseconds to_micros(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace

std::size_t heap_in_use() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::chrono::microseconds process_cpu_time() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return to_micros(usage.ru_utime) + to_micros(usage.ru_stime);
}

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

bool peer_closed(const Socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return false;  // data first; not what these tests send back
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

AbruptBackend::AbruptBackend(bool reset) : reset_(reset) {
  thread_ = std::thread([this] { run(); });
}

AbruptBackend::~AbruptBackend() {
  stopping_ = true;
  thread_.join();
}

void AbruptBackend::run() {
  while (!stopping_) {
    // A short wait so that the destructor is noticed; not a wait on the test.
    Socket accepted = listener_.accept(20);
    if (!accepted.valid()) continue;
    if (reset_) {
      reset_close(accepted);
    } else {
      accepted = Socket();
    }
    ++accepted_;
  }
}

SilentBackend::SilentBackend() {
  thread_ = std::thread([this] { run(); });
}

SilentBackend::~SilentBackend() {
  stopping_ = true;
  thread_.join();
}

void SilentBackend::run() {
  std::vector<Socket> held;
  while (!stopping_) {
    // A short wait so that the destructor is noticed; not a wait on the test.
    Socket accepted = listener_.accept(10);
    if (accepted.valid()) {
      ++accepted_;
      held.push_back(std::move(accepted));
    }
    char sink[4096];
    for (Socket& socket : held) {
      ssize_t n = 0;
      while ((n = ::recv(socket.fd(), sink, sizeof sink, MSG_DONTWAIT)) > 0)
        received_ += static_cast<std::size_t>(n);
    }
  }
}

DescriptorExhaustion::DescriptorExhaustion() {
  if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
  // open() takes the lowest free number: a limit a little above it keeps the
  // fillers few. Descriptors above the new limit stay usable; only new ones
  // are capped. The fillers duplicate it (stdin may be closed under ctest).
  const int seed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (seed < 0) return;
  fillers_.push_back(seed);
  rlimit lowered = saved_;
  lowered.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(seed) + 64, saved_.rlim_cur);
  if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) return;
  lowered_ = true;
  refill();
}

bool DescriptorExhaustion::refill() {
  if (!lowered_) return false;
  for (;;) {
    const int fd = ::fcntl(fillers_.front(), F_DUPFD_CLOEXEC, 0);
    if (fd >= 0) {
      fillers_.push_back(fd);
      continue;
    }
    exhausted_ = errno == EMFILE;
    return exhausted_;
  }
}

void DescriptorExhaustion::release() {
  for (int fd : fillers_)
    ::close(fd);
  fillers_.clear();
  if (lowered_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  lowered_ = false;
  exhausted_ = false;
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, std::size_t size) {
  std::vector<uint8_t> bytes(size);
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : bytes)
    b = static_cast<uint8_t>(byte(rng));
  return bytes;
}

bool send_datagram(uint16_t port, const std::vector<uint8_t>& bytes) {
  Socket socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return false;
  sockaddr_in addr = loopback(port);
  return ::sendto(socket.fd(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                  sizeof addr) == static_cast<ssize_t>(bytes.size());
}

std::vector<std::pair<std::string, std::string>> garbage_registries() {
  // Eight levels of ten aliases each: 10^8 values if anything expanded them.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 8; ++level) {
    const std::string prev = "*a" + std::to_string(level - 1);
    bomb += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i)
      bomb += (i ? ", " : "") + prev;
    bomb += "]\n";
  }
  bomb += "services: *a7\n";
  std::mt19937 rng(7);
  const auto noise = random_bytes(rng, 4096);
  return {
      {"invalid YAML", "services:\n  - name: [httpbin\n    namespace: {bar\n"},
      {"wrong types",
       "services:\n  - name: httpbin\n    namespace: bar\n    ports: 8000\n    endpoints: yes\n"},
      {"a list at the top", "- services\n- aliases\n"},
      {"a port out of range",
       "services:\n  - name: httpbin\n    namespace: bar\n    ports: [{name: tls, port: 70000}]\n"},
      {"binary noise", std::string(noise.begin(), noise.end())},
      {"an alias bomb", bomb},
  };
}

}  // namespace meshgate::testing
