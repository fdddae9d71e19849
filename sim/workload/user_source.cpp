// Client behaviour shared by every traffic source. A refusal ends in exactly one of: a scheduled retry (the
// request stays in flight), rejected for good (kRejected), or abandoned (kAbandoned); docs/models-workload.md,
// "Clients' reaction to refusals", states the rules this file implements.
#include "infercost/workload/user_source.hpp"

namespace infercost {

UserSource::UserSource(const UserClassInfo& info, TrafficContext context)
    : info_(info), ctx_(context), left_((info.users + 63) / 64, 0), client_stream_("client/" + info.name) {}

std::vector<RandomStream> UserSource::make_user_streams() const {
  const std::string name = user_stream_name(info_);
  std::vector<RandomStream> streams;
  streams.reserve(info_.users);
  for (std::uint32_t u = 0; u < info_.users; ++u) streams.push_back(ctx_.streams.stream(name, info_.stream_offset + u));
  return streams;
}

Request& UserSource::create(std::uint32_t local_user, std::uint32_t input_tokens, std::uint32_t output_tokens,
                            std::uint32_t source_tag) {
  Request& r = ctx_.sink.create_request(info_.first_user + local_user, info_.index, input_tokens, output_tokens);
  r.source_tag = source_tag;
  return r;
}

void UserSource::on_event(Engine&, std::uint32_t kind, std::uint64_t data) {
  if (kind < kFirstBaseKind) {
    on_source_event(kind, data);
    return;
  }
  // kRetry: a request waited out its backoff or its cap reset.
  Request& r = ctx_.sink.request_at(static_cast<std::uint32_t>(data));
  if (has_left(local_user(r))) {
    give_up(r, RequestOutcome::kAbandoned);
  } else {
    ctx_.sink.submit(r);
  }
}

void UserSource::on_rejected(Request& r, const AdmissionDecision& decision) {
  const SimTime now = ctx_.engine.now();
  const std::uint32_t u = local_user(r);
  const ClientConfig& client = info_.client;
  SimTime delay = 0;
  if (decision.permanent) {
    if (client.on_cap == OnCap::kLeave) {
      leave(u);
      give_up(r, RequestOutcome::kAbandoned);
      return;
    }
    // give_up, or a cap that never resets (no client can get this served): rejected for good.
    if (client.on_cap == OnCap::kGiveUp || decision.retry_after == kTimeNever) {
      give_up(r, RequestOutcome::kRejected);
      return;
    }
    delay = decision.retry_after;
  } else {
    if (r.attempts >= client.max_attempts) {
      give_up(r, client.max_attempts == 1 ? RequestOutcome::kRejected : RequestOutcome::kAbandoned);
      return;
    }
    // The jitter stream is keyed by the request's identity within its user (creation time, loop, attempt), so
    // refusals never shift the user's arrival draws: runs that differ only in policy keep the same demand.
    std::uint64_t state = (static_cast<std::uint64_t>(info_.stream_offset + u) << 32) ^ static_cast<std::uint64_t>(r.created_at);
    const std::uint64_t identity = splitmix64(state);
    state = identity ^ ((static_cast<std::uint64_t>(r.source_tag) << 16) | r.attempts);
    RandomStream rng = ctx_.streams.stream(client_stream_, splitmix64(state));
    delay = retry_delay(client, r.attempts, decision.retry_after, rng);
  }
  // A retry due at or after the end of the run would never be seen: the request stays in flight.
  if (delay < ctx_.end_time - now) ctx_.engine.schedule_in(delay, *this, kRetry, r.pool_index);
}

void UserSource::give_up(Request& r, RequestOutcome outcome) {
  const std::uint32_t u = local_user(r);
  const std::uint32_t tag = r.source_tag;
  ctx_.sink.finish(r, outcome);
  on_given_up(u, tag);
}

void UserSource::leave(std::uint32_t local_user) {
  if (has_left(local_user)) return;
  left_[local_user >> 6] |= std::uint64_t{1} << (local_user & 63);
  ctx_.sink.user_left(info_.first_user + local_user);
}

}  // namespace infercost
