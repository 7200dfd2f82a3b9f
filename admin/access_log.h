// The access log: one line per connection, written when it closes, as text or
// JSON. Lines go through a bounded in-memory queue to a writer thread, so a
// slow disk or pipe never stalls a worker: when the queue is full the line is
// dropped and counted. Everything from the client (the SNI above all) is
// escaped, so a line can never be split or forged. It is the
// gateway::AccessSink app/ hands the Gateway: the data path knows only that
// interface (gateway/access_record.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "gateway/access_record.h"

namespace meshgate::admin {

using gateway::AccessRecord;  // what the data path writes (gateway/access_record.h)

// One line, no trailing newline. Text: space-separated key=value with the
// start time first (RFC 3339, UTC, milliseconds), e.g.
//   2026-11-22T10:00:00.123Z passthrough client=127.0.0.1:40000 sni="..." route="..."
//   endpoint=127.0.0.1:9443 bytes_from_client=517 bytes_from_upstream=1024
//   duration_ms=12.345 reason=completed
// JSON: one object with the same keys ("start", "listener", ...).
std::string format_access_text(const AccessRecord& record);
std::string format_access_json(const AccessRecord& record);

class AccessLog final : public gateway::AccessSink {
 public:
  // Opens the sink: config.path, or standard output when empty. Start-up
  // only: throws std::runtime_error naming the path when it cannot be opened.
  static std::shared_ptr<AccessLog> open(const config::AccessLog& config);
  ~AccessLog() override;  // flushes what is queued, then stops the writer thread
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Thread-safe and non-blocking; a no-op when the log is disabled.
  void write(const AccessRecord& record) override;
  // Waits until every line queued so far is written (tests, shutdown).
  void flush();

  uint64_t written() const;  // lines handed to the sink
  uint64_t dropped() const;  // lines lost: the queue was full, or the sink failed

 private:
  class Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using AccessLogPtr = std::shared_ptr<AccessLog>;

}  // namespace meshgate::admin
