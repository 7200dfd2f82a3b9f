// The splice relay's pipe pool: lending, taking back only empty pipes,
// the bound on spares, capacity, and running out of descriptors.
#include "gateway/pipe_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>

namespace meshgate::gateway {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

TEST(PipePool, LendsANonBlockingPipeOfTheAskedCapacity) {
  PipePool pool(65536, 4);
  std::optional<Pipe> pipe = pool.acquire();
  ASSERT_TRUE(pipe);
  EXPECT_EQ(::fcntl(pipe->write_end, F_GETPIPE_SZ), 65536);
  EXPECT_TRUE(::fcntl(pipe->read_end, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(pipe->read_end, F_GETFD) & FD_CLOEXEC);
  // Bytes written to one end come out of the other.
  ASSERT_EQ(::write(pipe->write_end, "abc", 3), 3);
  char got[4] = {};
  ASSERT_EQ(::read(pipe->read_end, got, sizeof got), 3);
  EXPECT_EQ(std::string(got, 3), "abc");
  pool.release(*pipe, true);
}

TEST(PipePool, AnEmptyPipeIsLentAgain) {
  PipePool pool(16384, 4);
  const Pipe first = *pool.acquire();
  pool.release(first, true);
  EXPECT_EQ(pool.spare(), 1u);
  const Pipe again = *pool.acquire();
  EXPECT_EQ(again.read_end, first.read_end);
  EXPECT_EQ(pool.created(), 1u);
  pool.release(again, true);
}

TEST(PipePool, APipeStillHoldingBytesIsClosedNotReused) {
  PipePool pool(16384, 4);
  const Pipe pipe = *pool.acquire();
  ASSERT_EQ(::write(pipe.write_end, "x", 1), 1);
  pool.release(pipe, false);
  EXPECT_EQ(pool.spare(), 0u);
  EXPECT_FALSE(is_open(pipe.read_end));
  EXPECT_FALSE(is_open(pipe.write_end));
}

TEST(PipePool, SparesAreBounded) {
  PipePool pool(16384, 2);
  std::vector<Pipe> lent;
  for (int i = 0; i < 5; ++i)
    lent.push_back(*pool.acquire());
  for (const Pipe& pipe : lent)
    pool.release(pipe, true);
  EXPECT_EQ(pool.spare(), 2u);
  EXPECT_FALSE(is_open(lent[4].read_end));  // past the bound: closed
}

TEST(PipePool, ANewCapacityRetiresTheSpares) {
  PipePool pool(16384, 4);
  const Pipe old = *pool.acquire();
  pool.release(old, true);
  pool.set_pipe_bytes(65536);
  EXPECT_EQ(pool.spare(), 0u);
  EXPECT_FALSE(is_open(old.read_end));
  const Pipe fresh = *pool.acquire();
  EXPECT_EQ(::fcntl(fresh.write_end, F_GETPIPE_SZ), 65536);
  pool.release(fresh, true);
}

TEST(PipePool, DestructionClosesTheSpares) {
  Pipe spare;
  {
    PipePool pool(16384, 4);
    spare = *pool.acquire();
    pool.release(spare, true);
  }
  EXPECT_FALSE(is_open(spare.read_end));
}

// Run in a child process: with the descriptor limit reached, acquire() says
// so (the relay then copies) instead of failing any other way.
[[noreturn]] void acquire_until_exhausted() {
  PipePool pool(16384, 0);
  const rlimit low{64, 64};
  if (::setrlimit(RLIMIT_NOFILE, &low) != 0) std::_Exit(2);
  std::set<int> ends;
  for (int i = 0; i < 64; ++i) {
    std::optional<Pipe> pipe = pool.acquire();
    if (!pipe) std::_Exit(errno == EMFILE && !ends.empty() ? 0 : 3);
    ends.insert(pipe->read_end);
  }
  std::_Exit(4);  // 64 pipes need 128 descriptors: they cannot all succeed
}

TEST(PipePool, OutOfDescriptorsIsNoPipe) {
  EXPECT_EXIT(acquire_until_exhausted(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace meshgate::gateway
