#include "gateway/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace meshgate::gateway {

void close_pipe(Pipe& pipe) {
  if (pipe.read_end >= 0) ::close(pipe.read_end);
  if (pipe.write_end >= 0) ::close(pipe.write_end);
  pipe = Pipe{};
}

PipePool::PipePool(std::size_t pipe_bytes, std::size_t max_spare, Admission* descriptors)
    : pipe_bytes_(pipe_bytes), max_spare_(max_spare), descriptors_(descriptors) {
  spare_.reserve(max_spare_);
}

PipePool::~PipePool() {
  for (Pipe& pipe : spare_)
    close(pipe);
}

void PipePool::close(Pipe& pipe) {
  if (pipe.read_end < 0) return;
  close_pipe(pipe);
  if (descriptors_ != nullptr) descriptors_->give_descriptors(Admission::kDescriptorsPerPipe);
}

std::optional<Pipe> PipePool::acquire() {
  if (!spare_.empty()) {
    const Pipe pipe = spare_.back();
    spare_.pop_back();
    return pipe;
  }
  if (descriptors_ != nullptr && !descriptors_->take_descriptors(Admission::kDescriptorsPerPipe)) {
    return std::nullopt;
  }
  int ends[2];
  if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) {
    if (descriptors_ != nullptr) descriptors_->give_descriptors(Admission::kDescriptorsPerPipe);
    return std::nullopt;
  }
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
  close(pipe);
}

void PipePool::set_pipe_bytes(std::size_t pipe_bytes) {
  if (pipe_bytes == pipe_bytes_) return;
  pipe_bytes_ = pipe_bytes;
  for (Pipe& pipe : spare_)
    close(pipe);
  spare_.clear();
}

}  // namespace meshgate::gateway
