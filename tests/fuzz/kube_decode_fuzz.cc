// Fuzz target: the Kubernetes JSON decoders, every kind and every shape
// (object, list page, watch event, Status), on the same input. Invariants:
// no crash, no exception out, and every decoded string came from the input,
// so none is longer than it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "discovery/kubernetes/decode.h"

namespace {

using namespace meshgate::discovery::kube;

void check_length(const std::string& text, std::size_t input_size) {
  if (text.size() > input_size) std::abort();
}

template <typename T>
void decode_all_shapes(std::string_view input) {
  const Decoded<T> object = decode_object<T>(input);
  if (object.ok()) check_length(object.value->meta.name, input.size());
  if (!object.ok() && object.error.empty()) std::abort();  // a failure always says why
  const Decoded<List<T>> list = decode_list<T>(input);
  if (list.ok()) check_length(list.value->continue_token, input.size());
  const Decoded<Event<T>> event = decode_event<T>(input);
  if (event.ok()) check_length(event.value->resource_version, input.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  decode_all_shapes<Service>(input);
  decode_all_shapes<EndpointSlice>(input);
  decode_all_shapes<Pod>(input);
  decode_all_shapes<Namespace>(input);
  decode_all_shapes<ServiceEntry>(input);
  decode_all_shapes<WorkloadEntry>(input);
  decode_all_shapes<DestinationRule>(input);
  const Decoded<Status> status = decode_status(input);
  if (status.ok()) check_length(status.value->message, size);
  return 0;
}
