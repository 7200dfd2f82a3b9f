// One direction of an established connection: the bytes from `source` to
// `sink`, spliced or copied, with nothing held while the source is quiet.
//
// A flow waits for readability without a buffer, then moves what the source
// has, without blocking, until it is empty:
// - splicing: splice(2) from the source into a pipe the worker lends
//   (PipePool) and from the pipe into the sink, so the bytes never enter the
//   gateway's memory; the pipe goes back once empty. When no pipe can be
//   made (descriptors exhausted) the flow copies from then on;
// - copying: reads into the worker's scratch buffer and writes straight on;
//   only bytes the sink cannot take yet are kept, in a buffer of the flow's
//   own, freed once sent.
// Either way nothing more is read while the sink has not taken what is held,
// so a flow holds at most `buffer_bytes`.
//
// RelayMode::kAuto picks between the two as the traffic goes: it copies while
// reads are small (a request and its response: one read and one write, no
// pipe), turns to splicing once reads fill the buffer kFullReadsToSplice
// times in a row (a bulk transfer: the bytes stay in the kernel), and back
// to copying once kSmallSplicesToCopy splices in a row moved less than an
// eighth of it. HAProxy's splice-auto decides on the same signal.
//
// The sockets must be non-blocking at the kernel level: the flow calls
// recv/send/splice itself. Asio's reactor is edge-triggered, so a wait is
// armed only after a call found the socket empty (or full).
//
// The flow belongs to its Owner (the session), which outlives every wait:
// each handler holds Owner::keep_alive() and does nothing once the owner has
// stopped. Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/asio.h"
#include "gateway/pipe_pool.h"

namespace meshgate::gateway {

enum class RelayMode { kCopy, kSplice, kAuto };

class RelayFlow {
 public:
  // What a flow reports. Calls come from the flow's own handlers, on the
  // sockets' executor.
  class Owner {
   public:
    // `bytes` reached the sink.
    virtual void on_moved(RelayFlow& flow, std::size_t bytes) = 0;
    // Bytes were read or written: the connection is not idle.
    virtual void on_activity() = 0;
    // The source sent FIN and every byte it sent reached the sink.
    virtual void on_source_done(RelayFlow& flow) = 0;
    // A read (source) or a write (sink) failed: the connection ends.
    virtual void on_failed(RelayFlow& flow, asio::ip::tcp::socket& socket) = 0;
    // No pipe could be lent: this flow copies from now on.
    virtual void on_splice_fallback() = 0;
    // kAuto turned to splicing (true) or back to copying (false).
    virtual void on_mode_switch(bool splicing) = 0;
    virtual bool stopped() const = 0;
    // Held by every pending handler, so the owner (and its flows) outlive it.
    virtual std::shared_ptr<void> keep_alive() = 0;

   protected:
    virtual ~Owner() = default;
  };

  // What the worker lends all its flows.
  struct Shared {
    std::vector<uint8_t>& scratch;  // copying reads into it, then writes straight on
    PipePool& pipes;
  };

  // Reads or splices per wake-up before the flow lets the worker's other
  // connections go first.
  static constexpr int kReadsPerTurn = 16;
  // kAuto: reads in a row that fill the buffer before splicing, and small
  // splices in a row before copying again.
  static constexpr int kFullReadsToSplice = 2;
  static constexpr int kSmallSplicesToCopy = 4;

  RelayFlow(Owner& owner, asio::ip::tcp::socket& source, asio::ip::tcp::socket& sink,
            Shared shared);
  ~RelayFlow();  // closes a pipe still held (the owner never stopped)
  RelayFlow(const RelayFlow&) = delete;
  RelayFlow& operator=(const RelayFlow&) = delete;

  // Moves what the source has now, then waits for more. `buffer_bytes`
  // bounds each read and what the flow may hold.
  void start(RelayMode mode, std::size_t buffer_bytes);
  // Gives the pipe back to the pool (when the owner stops).
  void release();

  asio::ip::tcp::socket& source() { return source_; }
  asio::ip::tcp::socket& sink() { return sink_; }
  bool splicing() const { return splicing_; }

 private:
  void wait_readable();
  void relay_now();
  void copy_now();
  void yield_turn();
  // kAuto: after a read of `n` bytes (copying) or a splice of `n` (splicing),
  // whether the flow changed its mode.
  bool adapt_after_read(std::size_t n);
  bool adapt_after_splice(std::size_t n);
  // Writes what it can now; false when the rest waits in the flow's buffer
  // (or the owner stopped): the flow reads no more until it is sent.
  bool forward(const uint8_t* data, std::size_t n);
  void on_pending_written(const boost::system::error_code& ec);
  // Splicing.
  void splice_now();
  bool take_pipe();
  void give_back_pipe();
  // Moves the pipe's bytes to the sink; false when the sink is full (a
  // writable wait is armed) or the owner stopped.
  bool drain_pipe();
  void wait_writable();

  Owner& owner_;
  asio::ip::tcp::socket& source_;
  asio::ip::tcp::socket& sink_;
  Shared shared_;
  std::size_t buffer_bytes_ = 0;
  bool splicing_ = false;
  bool adaptive_ = false;         // kAuto, until no pipe could be lent
  int full_reads_ = 0;            // kAuto, copying: reads in a row that filled the buffer
  int small_splices_ = 0;         // kAuto, splicing: small splices in a row
  std::vector<uint8_t> pending_;  // copying: what the sink could not take yet
  Pipe pipe_;                     // splicing: lent while bytes are in flight
  std::size_t in_pipe_ = 0;
};

}  // namespace meshgate::gateway
