#pragma once
// The workload seam: a traffic source drives the users of one class, creating and submitting requests, and
// hears how each ended (so closed loops can continue and clients can retry).
#include <cstdint>
#include <memory>
#include <string>

#include "infercost/core/request.hpp"
#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/policy/admission.hpp"
#include "infercost/workload/client.hpp"
#include "infercost/workload/lengths.hpp"

namespace infercost {

/// What a traffic source may ask of the simulation.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  /// A new request of `user` (of class `user_class`) in the pool, stamped with the current time. The source
  /// passes the class it knows, so that the sink needs no per-user lookup (a cold line per request in a fleet).
  virtual Request& create_request(std::uint32_t user, std::uint32_t user_class, std::uint32_t input_tokens,
                                  std::uint32_t output_tokens) = 0;
  /// Submits (or resubmits) a request: admission, routing, service.
  virtual void submit(Request& request) = 0;
  /// Ends a request that will not be served (rejected for good, or abandoned) and frees it.
  virtual void finish(Request& request, RequestOutcome outcome) = 0;
  /// Looks a pooled request up by index (for events carrying it).
  virtual Request& request_at(std::uint32_t pool_index) = 0;
  /// A user left the service for the rest of the run (client `on_cap: leave`).
  virtual void user_left(std::uint32_t /*user*/) {}
  /// A prefetch hint for the record that create_request updates, of user first_user + the low half of an
  /// event's data (none by default).
  virtual PrefetchHint user_record_hint(std::uint32_t /*first_user*/) const { return {}; }
};

/// The users of one class, as known to its traffic source.
struct UserClassInfo {
  std::string name;
  std::uint32_t index = 0;       ///< class index
  std::uint32_t first_user = 0;  ///< global index of the class's first user
  std::uint32_t users = 0;       ///< number of users
  std::uint32_t plan = 0;        ///< plan index
  const LengthDistribution* input_tokens = nullptr;   ///< the class's prompt lengths
  const LengthDistribution* output_tokens = nullptr;  ///< the class's output lengths
  ClientConfig client;           ///< how the class's clients react to refusals
  std::uint32_t stream_offset = 0;  ///< class-local index of the first user (keys its random streams)
};

/// What a traffic source needs from the simulation.
struct TrafficContext {
  Engine& engine;
  RequestSink& sink;
  const StreamFactory& streams;
  SimTime end_time;              ///< no arrivals are generated after this
};

/// Drives one class of users.
class TrafficSource : public EventHandler {
 public:
  /// Schedules the first arrivals.
  virtual void start() = 0;
  /// A request of this source completed (its slot is freed after this returns).
  virtual void on_completed(Request& request) = 0;
  /// A submission was rejected; the source retries (sink.submit later) or ends it (sink.finish).
  virtual void on_rejected(Request& request, const AdmissionDecision& decision) = 0;
  /// A hint that a request of (global) `user` with `source_tag` will probably complete soon: may start loading
  /// what on_completed reads; changes nothing.
  virtual void prefetch_completion(std::uint32_t /*user*/, std::uint32_t /*source_tag*/) const {}
};

/// A validated arrival-process configuration of a user class; builds its traffic source.
class ArrivalConfig {
 public:
  virtual ~ArrivalConfig() = default;
  virtual std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const = 0;
  /// True when the process brings its own token counts (trace replay): the class then declares no lengths.
  virtual bool provides_lengths() const { return false; }
  /// The fewest users the process can drive (a trace with user ids needs one per distinct id).
  virtual std::uint32_t min_users() const { return 1; }
  /// The most users the process can drive (closed loops index users * loops in 32 bits).
  virtual std::uint32_t max_users() const { return UINT32_MAX; }
  /// One line for run outputs (what the process is, and anything a reader must know, like a user assignment).
  virtual std::string describe() const { return ""; }
};

}  // namespace infercost
