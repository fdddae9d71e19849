#pragma once
// The common base of the traffic sources: one user class's users, which of them left, and the client's reaction
// to refusals (retries with backoff, waiting for a cap reset, leaving). Subclasses only generate arrivals.
#include <cstdint>
#include <string>
#include <vector>

#include "infercost/workload/traffic.hpp"

namespace infercost {

/// A traffic source for the users of one class, with the client behaviour of docs/models-workload.md.
/// Per user it keeps one bit (left or not); subclasses keep what their process needs.
class UserSource : public TrafficSource {
 public:
  UserSource(const UserClassInfo& info, TrafficContext context);

  void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) final;
  void on_rejected(Request& request, const AdmissionDecision& decision) final;

  const UserClassInfo& info() const { return info_; }
  /// True once the local user left (client `on_cap: leave`); it then creates no more requests.
  bool has_left(std::uint32_t local_user) const { return (left_[local_user >> 6] >> (local_user & 63)) & 1u; }
  /// Name of the users' own random streams: user i of the class draws from stream("user/<class name>", i),
  /// so adding a user or a class never changes another user's draws.
  static std::string user_stream_name(const UserClassInfo& info) { return "user/" + info.name; }

 protected:
  /// Event kinds below this are the subclass's; kinds from it up belong to this base.
  static constexpr std::uint32_t kFirstBaseKind = Event::kMaxKinds - 1;

  /// Handles the subclass's own events (kind < kFirstBaseKind).
  virtual void on_source_event(std::uint32_t kind, std::uint64_t data) = 0;
  /// A request of this source ended without completing (rejected for good or abandoned) and is already freed.
  virtual void on_given_up(std::uint32_t /*local_user*/, std::uint32_t /*source_tag*/) {}

  /// A new request of a local user, stamped now; `source_tag` is the subclass's (a loop or session index).
  Request& create(std::uint32_t local_user, std::uint32_t input_tokens, std::uint32_t output_tokens,
                  std::uint32_t source_tag = 0);
  std::uint32_t local_user(const Request& request) const { return request.user - info_.first_user; }
  /// Every user's own stream, in local user order.
  std::vector<RandomStream> make_user_streams() const;

  UserClassInfo info_;
  TrafficContext ctx_;

 private:
  enum : std::uint32_t { kRetry = kFirstBaseKind };

  void give_up(Request& request, RequestOutcome outcome);
  void leave(std::uint32_t local_user);

  std::vector<std::uint64_t> left_;  ///< one bit per user
  std::string client_stream_;        ///< name of the class's retry-jitter streams
};

}  // namespace infercost
