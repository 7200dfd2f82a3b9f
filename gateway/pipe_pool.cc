#include "gateway/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace meshgate::gateway {

void close_pipe(Pipe& pipe) {
  if (pipe.read_end >= 0) ::close(pipe.read_end);
  if (pipe.write_end >= 0) ::close(pipe.write_end);
  pipe = Pipe{};
}

PipePool::PipePool(std::size_t pipe_bytes, std::size_t max_spare)
    : pipe_bytes_(pipe_bytes), max_spare_(max_spare) {
  spare_.reserve(max_spare_);
}

PipePool::~PipePool() {
  for (Pipe& pipe : spare_)
    close_pipe(pipe);
}

std::optional<Pipe> PipePool::acquire() {
  if (!spare_.empty()) {
    const Pipe pipe = spare_.back();
    spare_.pop_back();
    return pipe;
  }
  int ends[2];
  if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
  // Best effort: past /proc/sys/fs/pipe-max-size an unprivileged process is
  // refused and keeps the default (16 pages), which is just as correct.
  ::fcntl(ends[1], F_SETPIPE_SZ, static_cast<int>(pipe_bytes_));
  ++created_;
  return Pipe{ends[0], ends[1]};
}

void PipePool::release(Pipe pipe, bool empty) {
  if (pipe.read_end < 0) return;
  if (empty && spare_.size() < max_spare_) {
    spare_.push_back(pipe);
    return;
  }
  close_pipe(pipe);
}

void PipePool::set_pipe_bytes(std::size_t pipe_bytes) {
  if (pipe_bytes == pipe_bytes_) return;
  pipe_bytes_ = pipe_bytes;
  for (Pipe& pipe : spare_)
    close_pipe(pipe);
  spare_.clear();
}

}  // namespace meshgate::gateway
