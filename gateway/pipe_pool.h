// Pipes for the splice(2) relay, one pool per worker thread. A relay
// direction borrows a pipe only while bytes are on their way from one socket
// to the other, and gives it back once the pipe is empty: an idle connection
// holds no pipe, and a worker keeps only a bounded number spare. The bytes a
// direction holds while the other side cannot take them stay in its pipe,
// which is sized to limits.buffer_bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "gateway/admission.h"

namespace meshgate::gateway {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
};

class PipePool {
 public:
  // pipe_bytes: the capacity asked of each new pipe (F_SETPIPE_SZ; the kernel
  // rounds up to a power of two of pages). max_spare: empty pipes kept.
  // `descriptors` (if any) lends each pipe's two descriptors, spares included:
  // no pipe is made past the data path's descriptor budget.
  PipePool(std::size_t pipe_bytes, std::size_t max_spare, Admission* descriptors = nullptr);
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A spare pipe or a new one; nullopt when none can be made (descriptors
  // exhausted, or the budget has no room): the caller relays by copying.
  std::optional<Pipe> acquire();
  // An empty pipe goes back to the spares (or is closed when they are full);
  // one still holding bytes is closed, so no pipe is ever reused with stale data.
  void release(Pipe pipe, bool empty);
  // Pipes made from now on get this capacity; spares of another are closed.
  void set_pipe_bytes(std::size_t pipe_bytes);

  std::size_t spare() const { return spare_.size(); }
  std::size_t created() const { return created_; }

 private:
  void close(Pipe& pipe);

  std::size_t pipe_bytes_;
  std::size_t max_spare_;
  std::vector<Pipe> spare_;
  std::size_t created_ = 0;
  Admission* descriptors_;
};

// Closes both ends; gives back no budget (the pool's own closes do).
void close_pipe(Pipe& pipe);

}  // namespace meshgate::gateway
