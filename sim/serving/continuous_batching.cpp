// The continuous-batching replica: vLLM's iteration-level scheduler (docs/models-serving.md, "Continuous batching").
//
// Each step the scheduler composes a batch, as vLLM v0 does:
//  - without chunked prefill (Scheduler._schedule_default): admit waiting requests in queue order while a sequence
//    slot is free, their whole prompts fit max_num_batched_tokens and their prompt blocks fit the free KV blocks less
//    the watermark; if any was admitted the step is a prefill-only iteration, otherwise every running sequence
//    decodes one token, each first taking a slot for it, preempting the newest sequences (recompute) when blocks run
//    out;
//  - with chunked prefill (Scheduler._schedule_chunked_prefill, Sarathi-Serve): decodes first, then chunks of
//    running prompts, then chunks of newly admitted prompts, within the token budget; no admission in a step that
//    preempted.
// A step with decodes only is a run: the batch stays the same until the first sequence finishes or the KV blocks run
// out, so the replica advances all of those iterations in one event using the predictor's closed form. An arrival
// that could be admitted cuts the run at the end of the iteration in progress, where vLLM would admit it. With
// chunked prefill, the iterations in which one long prompt takes the whole token budget are a run too.
// The decoding sequences are a pool advanced by one counter, so a step costs O(log batch), not O(batch)
// (docs/models-serving.md, "The decoding pool").
#include "infercost/serving/continuous_batching.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "infercost/core/registries.hpp"
#include "infercost/engine/quad_heap.hpp"

namespace infercost {
namespace {

constexpr std::uint32_t kStepEnd = 0;
constexpr std::uint32_t kWoken = 1;

/// One admitted request in explicit form: a prompt still being computed, or any sequence while a rare path
/// (preemption) works on the whole batch.
struct Sequence {
  Request* request = nullptr;
  std::uint64_t order = 0;          ///< admission order: the batch's order, preemption takes the newest
  std::uint32_t prompt_tokens = 0;  ///< tokens to prefill: the prompt, plus generated tokens after a preemption
  std::uint32_t prefilled = 0;      ///< of prompt_tokens, computed so far
  std::uint32_t generated = 0;      ///< output tokens produced
  std::uint32_t target = 0;         ///< output tokens to produce
  std::uint64_t computed = 0;       ///< tokens whose K and V are cached
  std::uint64_t blocks = 0;         ///< KV blocks held
  std::uint32_t chunk = 0;          ///< prompt tokens computed in the current step
  std::uint32_t user = 0;           ///< request->user, user_class and source_tag, to prefetch the records its
  std::uint32_t user_class = 0;     ///< completion updates without the request
  std::uint32_t source_tag = 0;
  bool decoding = false;            ///< prompt done; one token per iteration
  std::int64_t x = 0;               ///< decoding: computed minus the replica's decode counter (WorkPool's x)
};

/// Per-unit-share sums of the pool's spans (WorkRates times base and slope) since the work epoch began. Doubles
/// suffice because epochs are short (ContinuousBatchingReplica::kWorkEpochIterations): a member's credit is a
/// difference of two such values, and its rounding is relative to one epoch's sums, not to the run's.
struct alignas(32) WorkSums {
  double energy = 0, energy_slope = 0, gpu = 0, gpu_slope = 0;
};

/// A member's work so far as the pool's sums put it, energy + x·energy_slope and gpu + x·gpu_slope at its offset
/// x: its credit when it leaves is the same value then minus this.
struct WorkMark {
  double energy = 0, gpu = 0;
};

/// A decoding sequence. Every decoding sequence gains one token per decode iteration, so its counts are kept as
/// offsets from the replica's decode counter and a step costs O(1) per batch, not per sequence. One cache line
/// each, work mark included: a member is read and written whole when it joins and when it leaves.
struct alignas(64) Decoder {
  Request* request = nullptr;  ///< null: a free slot
  std::int64_t x = 0;          ///< computed tokens minus the decode counter
  std::int64_t gx = 0;         ///< generated tokens minus the decode counter
  WorkMark mark;               ///< where its work accrual starts (credit)
  std::uint32_t order = 0;     ///< admission order (below 2^32, add_decoder); in a free slot, the next free slot
  std::uint32_t target = 0;
  std::uint32_t prompt_tokens = 0;
  std::uint32_t user = 0;  ///< request->user, user_class and source_tag, so that a completion's records load
  std::uint32_t user_class = 0;  ///< beside the request
  std::uint32_t source_tag = 0;
};
static_assert(sizeof(Decoder) == 64);

/// What the step in flight is.
enum class StepKind : std::uint8_t { kNone, kSingle, kDecodeRun, kPrefillRun, kWaking };

class ContinuousBatchingReplica final : public Replica, private WorkPool {
 public:
  ContinuousBatchingReplica(const ContinuousBatchingSettings& settings, const IterationPredictor& predictor,
                            const IterationWorkModel& work, std::unique_ptr<WaitQueue> queue,
                            const ReplicaContext& context)
      : s_(settings),
        predictor_(predictor),
        work_(work),
        queue_(std::move(queue)),
        ctx_(context),
        kv_(settings.kv.blocks, settings.kv.block_size_tokens),
        scratch_(context.scratch),
        own_scratch_(context.scratch ? nullptr : std::make_unique<ReplicaScratch>()) {
    if (scratch_ == nullptr) scratch_ = own_scratch_.get();
    weight_bytes_per_gpu_ = work_(BatchShape{}).weight_bytes_per_gpu;
    BatchShape one_token;
    one_token.context_tokens = 1;
    kv_bytes_per_token_per_gpu_ = work_(one_token).kv_bytes_per_gpu;
    // Block counts of the decoders are summed over a histogram of their positions within a block; for large
    // blocks the decoders themselves are fewer than the histogram's cells.
    may_outrank_ = queue_->may_outrank();
    counts_service_ = queue_->counts_service();
    if (kv_.block_size() <= kInlineResidues) {
      residue_prefix_ = residue_inline_;
    } else if (kv_.block_size() <= kHistogramMaxBlock) {
      residue_heap_ = std::make_unique<std::uint32_t[]>(kv_.block_size());
      residue_prefix_ = residue_heap_.get();
    }
  }

  // residue_prefix_ may point into the replica itself.
  ContinuousBatchingReplica(const ContinuousBatchingReplica&) = delete;
  ContinuousBatchingReplica& operator=(const ContinuousBatchingReplica&) = delete;

  void submit(Request& request) override {
    limit_lengths(request);
    queue_->push(request, ctx_.engine.now());
    ++waiting_;
    queued_prompt_tokens_ += input_of(request);
    if (in_callbacks_) return;  // the step being finished schedules the next one
    const bool was_idle = step_ == StepKind::kNone;
    if (was_idle) {
      // Work on an idle replica waits for its GPUs to wake (docs/models-power.md, "Power-state transitions").
      const SimTime wake = ctx_.power ? ctx_.power->wake_delay(ctx_.index) : 0;
      if (wake <= 0) {
        schedule_next();
        return;
      }
      step_ = StepKind::kWaking;
      step_start_ = ctx_.engine.now();
      schedule_end(step_start_ + wake, kWoken);
    }
    activity_.queued = waiting_;
    const bool cut = step_ == StepKind::kDecodeRun && run_iterations_ > 1 && maybe_cut_run();
    if (was_idle || cut) {
      report();  // waking GPUs, or a run cut short: more than the queue changed
    } else {
      ctx_.activity.on_queue_change(ctx_.index, ctx_.engine.now(), activity_);
    }
  }

  std::uint32_t outstanding() const override { return running_count() + waiting_; }
  double kv_load() const override { return kv_.occupancy(); }

  /// Predicted TTFT (docs/models-serving.md, "Predicted TTFT"): the rest of the iteration in flight (or the wake-up),
  /// plus the prefill work ahead of the request (unprefilled prompt tokens of running sequences and prompts of
  /// waiting requests) at the throughput of full prefill batches of prompts like this one, plus its own prefill
  /// iteration; all slowed down by the current power cap.
  SimTime predicted_ttft(const Request& request, SimTime now) const override {
    const std::uint64_t p = input_of(request);
    std::uint64_t ahead = queued_prompt_tokens_;
    for (const Sequence& seq : prefilling_) ahead += seq.prompt_tokens - seq.prefilled - seq.chunk;
    BatchShape alone;
    add_prefill_chunk(alone, 0, p);
    double ttft_s = predictor_.predict(alone).time_s;
    if (ahead > 0) {
      const std::uint64_t per_batch = std::max<std::uint64_t>(1, s_.max_num_batched_tokens / p);
      BatchShape full;
      for (std::uint64_t i = 0; i < per_batch; ++i) add_prefill_chunk(full, 0, p);
      ttft_s += static_cast<double>(ahead) * predictor_.predict(full).time_s / static_cast<double>(per_batch * p);
    }
    SimTime residual = 0;
    if (step_ == StepKind::kDecodeRun) {
      residual = step_start_ + run_offset(iterations_begun(now - step_start_)) - now;
    } else if (step_ != StepKind::kNone) {
      residual = step_end_ - now;
    }
    ReplicaActivity prefill = activity_;
    prefill.phase = GpuPhase::kPrefill;
    prefill.compute_fraction = prefill.memory_bw_fraction = 0.0;  // the phase's default compute share
    const double slow = ctx_.power ? ctx_.power->slowdown(ctx_.index, prefill) : 1.0;
    return std::max<SimTime>(0, residual) + from_seconds(ttft_s * slow);
  }
  std::uint32_t gpus() const override { return s_.layout.gpus(); }

  void on_event(Engine&, std::uint32_t kind, std::uint64_t) override {
    if (kind == kWoken) {
      schedule_next();
    } else if (kind == kStepEnd) {
      finish_step();
    }
  }

  void settle_work() override {
    if (ctx_.work == nullptr) return;
    for (Decoder& d : decoders_) {
      if (d.request == nullptr) continue;
      credit(d.request, d.x, d.mark);
      d.mark = value_at(d.x);
    }
  }

 private:
  static constexpr std::uint32_t kHistogramMaxBlock = 64;

  // ---- lengths -------------------------------------------------------------------------------------------------

  /// The waiting queue's first request (null when none), without touching the queue when it is empty.
  Request* front() { return waiting_ == 0 ? nullptr : queue_->front(); }

  std::uint32_t input_of(const Request& r) const { return std::min(r.input_tokens, s_.max_model_len - 1); }

  /// Enforces max_model_len as vLLM does for max_tokens: generation stops when prompt + output reach it. A prompt
  /// longer than that (vLLM rejects it) is served as if cut to max_model_len - 1 tokens.
  void limit_lengths(Request& r) const {
    const std::uint32_t in = input_of(r);
    if (r.output_tokens < 1) r.output_tokens = 1;
    if (static_cast<std::uint64_t>(in) + r.output_tokens > s_.max_model_len) r.output_tokens = s_.max_model_len - in;
  }

  // ---- the decoding pool ---------------------------------------------------------------------------------------
  // A decoder's computed tokens are x + counter_ and it holds blocks_for(computed + ahead_) blocks: every decoder
  // has reserved slots for the same number of tokens ahead (1 before a step that decodes, K during a run of K
  // iterations, 0 after a step), so block counts over the pool follow from a histogram of x modulo the block size.

  std::uint32_t running_count() const { return static_cast<std::uint32_t>(prefilling_.size()) + decoder_count_; }

  std::size_t residue_of(std::int64_t x) const {
    // Two's complement: x mod 2^k, for negative x too, is its low k bits (within_block masks them).
    if (kv_.block_size_is_pow2()) return static_cast<std::size_t>(kv_.within_block(static_cast<std::uint64_t>(x)));
    const auto b = static_cast<std::int64_t>(kv_.block_size());
    return static_cast<std::size_t>(((x % b) + b) % b);
  }

  /// Sum over decoders of blocks_for(computed + to) - blocks_for(computed + from), for to >= from.
  std::uint64_t block_delta(std::uint64_t from, std::uint64_t to) const {
    if (to <= from || decoder_count_ == 0) return 0;
    if (residue_prefix_ == nullptr) {
      std::uint64_t total = 0;
      for (const Decoder& d : decoders_) {
        if (d.request == nullptr) continue;
        const std::uint64_t c = computed_of(d);
        total += kv_.blocks_for(c + to) - kv_.blocks_for(c + from);
      }
      return total;
    }
    // With c = q b + rho and t = qt b + rt: blocks_for(c + t) = q + qt + (0, 1 or 2 as rho + rt is 0, <= b, > b).
    const std::uint64_t q_from = kv_.whole_blocks(from), q_to = kv_.whole_blocks(to);
    return decoder_count_ * (q_to - q_from) + carry_blocks(kv_.within_block(to)) - carry_blocks(kv_.within_block(from));
  }

  /// block_delta(0, 1), asked before every step that decodes: the decoders whose next token opens a block, i.e.
  /// whose computed tokens are a multiple of the block size (rho = 0). One residue class, not carry_blocks twice.
  std::uint64_t next_token_blocks() const {
    if (decoder_count_ == 0) return 0;
    if (residue_prefix_ == nullptr) return block_delta(0, 1);
    const std::uint64_t r = kv_.within_block(kv_.block_size() - kv_.within_block(counter_));
    return residues_below(r + 1) - residue_prefix_[r];
  }

  /// Sum over decoders of (0, 1 or 2 as rho + rt is 0, <= b, > b), rho their computed tokens modulo the block size:
  /// every decoder counts 1, less those with rho = 0 when rt = 0, plus those with rho > b - rt.
  std::uint64_t carry_blocks(std::uint64_t rt) const {
    const std::uint64_t b = kv_.block_size();
    const std::uint64_t shift = kv_.within_block(counter_);  // rho = (r + shift) mod b for residue class r
    if (rt == 0) {
      const std::uint64_t r = kv_.within_block(b - shift);
      return decoder_count_ - (residues_below(r + 1) - residue_prefix_[r]);
    }
    // rho in [b - rt + 1, b - 1]: r in that range less shift, cyclically.
    const std::uint64_t len = rt - 1;
    if (len == 0) return decoder_count_;
    const std::uint64_t lo = kv_.within_block(b - rt + 1 + b - shift);
    return decoder_count_ + residues_in(lo, len);
  }

  /// Decoders whose residue class is in [lo, lo + len) cyclically (len < block size).
  std::uint64_t residues_in(std::uint64_t lo, std::uint64_t len) const {
    const std::uint64_t b = kv_.block_size();
    if (lo + len <= b) return residues_below(lo + len) - residue_prefix_[lo];
    return decoder_count_ - residue_prefix_[lo] + residue_prefix_[lo + len - b];
  }

  /// Decoders whose residue class is below i <= block size (all of them at the block size, which is not stored).
  std::uint64_t residues_below(std::uint64_t i) const {
    return i < kv_.block_size() ? residue_prefix_[i] : decoder_count_;
  }

  /// Counts a decoder in (delta = 1) or out of (delta = -1) its residue class.
  void count_residue(std::int64_t x, int delta) {
    if (residue_prefix_ == nullptr) return;
    const std::size_t r = residue_of(x);
    // Over every entry, adding 0 up to r: a loop of fixed length predicts its exit, one from r + 1 did not.
    // (32-bit indices: 9 M instructions fewer than 64-bit ones in 12 s of fleet-hour.)
    const auto d = static_cast<std::uint32_t>(delta);
    const auto r32 = static_cast<std::int32_t>(r);
    std::uint32_t* prefix = residue_prefix_;
    const auto n = static_cast<std::int32_t>(kv_.block_size());
    if (n == static_cast<std::int32_t>(kInlineResidues)) {
      // vLLM's default block: a fixed trip count the compiler unrolls into four vector adds.
      for (std::int32_t j = 0; j < static_cast<std::int32_t>(kInlineResidues); ++j) prefix[j] += j > r32 ? d : 0u;
      return;
    }
    for (std::int32_t j = 0; j < n; ++j) prefix[j] += j > r32 ? d : 0u;
  }

  std::uint64_t computed_of(const Decoder& d) const { return static_cast<std::uint64_t>(d.x + counter_i()); }
  std::int64_t counter_i() const { return static_cast<std::int64_t>(counter_); }

  /// Adds a decoding sequence (its blocks must be blocks_for(computed + ahead_)); `mark` is where its work
  /// accrual starts (null: now).
  void add_decoder(const Sequence& seq, const WorkMark* mark = nullptr) {
    if (seq.order > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("continuous_batching: more than 2^32 admissions on one replica");
    }
    std::uint32_t slot;
    if (free_head_ != kNoSlot) {
      slot = free_head_;
      free_head_ = decoders_[slot].order;
    } else {
      slot = static_cast<std::uint32_t>(decoders_.size());
      decoders_.emplace_back();
    }
    Decoder& d = decoders_[slot];
    d.request = seq.request;
    d.order = static_cast<std::uint32_t>(seq.order);
    d.x = static_cast<std::int64_t>(seq.computed) - counter_i();
    d.gx = static_cast<std::int64_t>(seq.generated) - counter_i();
    d.target = seq.target;
    d.prompt_tokens = seq.prompt_tokens;
    d.user = seq.user;
    d.user_class = seq.user_class;
    d.source_tag = seq.source_tag;
    d.mark = mark != nullptr ? *mark : value_at(d.x);
    ++decoder_count_;
    sum_x_ += d.x;
    count_residue(d.x, 1);
    const std::int64_t at = d.target - d.gx;
    if (at >= kMaxFinishAt || slot >= (1u << kSlotBits)) {
      throw std::length_error("continuous_batching: decode counter or batch slot out of range");
    }
    heap_push((static_cast<std::uint64_t>(at) << kSlotBits) | slot);
    set_next_finish();
  }

  // The completion keys form a 4-ary min-heap (quad_heap.hpp): half a binary heap's depth, and
  // siblings share a cache line, so a pop touches about half the lines. Keys are unique (slot in the low bits),
  // so pops come in the same order as from any heap.
  void heap_push(std::uint64_t key) {
    finish_heap_.push_back(key);
    quad_heap_sift_up(finish_heap_.data(), finish_heap_.size() - 1, key, std::less<>{});
  }
  /// Removes the smallest key.
  void heap_pop() {
    const std::uint64_t last = finish_heap_.back();
    finish_heap_.pop_back();
    if (!finish_heap_.empty()) quad_heap_sift_down(finish_heap_.data(), finish_heap_.size(), last, std::less<>{});
  }

  /// Caches the heap's top: its counter value and slot.
  void set_next_finish() {
    if (finish_heap_.empty()) {
      next_finish_at_ = kNoFinish;
      return;
    }
    next_finish_at_ = finish_at(finish_heap_.front());
    next_finish_slot_ = static_cast<std::uint32_t>(finish_heap_.front() & ((1u << kSlotBits) - 1));
  }

  /// Removes a decoder (its heap entry is the caller's business); returns it.
  Decoder remove_decoder(std::uint32_t slot) {
    Decoder d = decoders_[slot];
    --decoder_count_;
    sum_x_ -= d.x;
    count_residue(d.x, -1);
    decoders_[slot].request = nullptr;
    decoders_[slot].order = free_head_;  // a free slot's order links the free list
    free_head_ = slot;
    if (decoder_count_ == 0) restart_empty_pool();
    return d;
  }

  /// The decoder's explicit form (for the rare paths).
  Sequence explicit_of(const Decoder& d) const {
    Sequence seq;
    seq.request = d.request;
    seq.user = d.user;
    seq.user_class = d.user_class;
    seq.source_tag = d.source_tag;
    seq.order = d.order;
    seq.prompt_tokens = seq.prefilled = d.prompt_tokens;
    seq.generated = static_cast<std::uint32_t>(d.gx + counter_i());
    seq.target = d.target;
    seq.computed = computed_of(d);
    seq.blocks = kv_.blocks_for(seq.computed + ahead_);
    seq.decoding = true;
    seq.x = d.x;
    return seq;
  }

  /// Every running sequence in explicit form: the prompts being prefilled, then the decoders (in slot order).
  std::vector<Sequence> explicit_batch() const {
    std::vector<Sequence> all(prefilling_.begin(), prefilling_.end());
    for (const Decoder& d : decoders_) {
      if (d.request != nullptr) all.push_back(explicit_of(d));
    }
    return all;
  }

  /// The whole batch in admission order, marks of decoders alongside; the pool is emptied (rebuild() refills it).
  std::vector<Sequence> take_batch(std::vector<std::pair<std::uint64_t, WorkMark>>& marks) {
    std::vector<Sequence> all = explicit_batch();
    for (std::uint32_t i = 0; i < decoders_.size(); ++i) {
      if (decoders_[i].request != nullptr) marks.emplace_back(decoders_[i].order, decoders_[i].mark);
    }
    std::sort(all.begin(), all.end(), [](const Sequence& a, const Sequence& b) { return a.order < b.order; });
    std::sort(marks.begin(), marks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    prefilling_.clear();
    decoders_.clear();
    free_head_ = kNoSlot;
    finish_heap_.clear();
    next_finish_at_ = kNoFinish;
    if (residue_prefix_ != nullptr) std::fill(residue_prefix_, residue_prefix_ + kv_.block_size(), 0u);
    decoder_count_ = 0;
    sum_x_ = 0;
    return all;
  }

  /// Refills the batch from its explicit form; every decoder holds blocks_for(computed + ahead).
  void rebuild(const std::vector<Sequence>& all, const std::vector<std::pair<std::uint64_t, WorkMark>>& marks,
               std::uint64_t ahead) {
    ahead_ = ahead;
    for (const Sequence& seq : all) {
      if (!seq.decoding) {
        prefilling_.push_back(seq);
        continue;
      }
      const auto m = std::lower_bound(marks.begin(), marks.end(), seq.order,
                                      [](const auto& p, std::uint64_t o) { return p.first < o; });
      add_decoder(seq, &m->second);
    }
    if (decoder_count_ == 0) restart_empty_pool();
  }

  /// Credits a leaving decoder (offset x) the work it earned since `mark`.
  void credit(const Request* request, std::int64_t x, const WorkMark& mark) {
    if (ctx_.work == nullptr) return;
    const WorkMark earned = earned_since(x, mark);
    ctx_.work->on_pooled_work(*request, earned.energy, earned.gpu);
  }
  /// What a member of offset x earned since `mark`.
  WorkMark earned_since(std::int64_t x, const WorkMark& mark) const {
    const WorkMark now = value_at(x);
    return WorkMark{now.energy - mark.energy, now.gpu - mark.gpu};
  }
  /// The pool's sums at offset x (a member's mark when it joins now).
  WorkMark value_at(std::int64_t x) const {
    const double ex = static_cast<double>(x + epoch_i());
    return WorkMark{acc_.energy + ex * acc_.energy_slope, acc_.gpu + ex * acc_.gpu_slope};
  }

  /// The pool's shares grow with the counter N (base holds κ·K·N, and x = c - N falls as N grows), so over a long
  /// run both terms of a credit would grow far beyond the credit and a double's rounding with them. The shares are
  /// therefore written with N and x relative to the counter at the epoch's start, E: base holds κ·K·(N - E) and a
  /// member's x is x + E (its cached tokens at E, or minus the iterations it missed). A new epoch every
  /// kWorkEpochIterations moves each member's credit so far into its mark and restarts the sums from zero.
  static constexpr std::uint64_t kWorkEpochIterations = 4096;
  std::int64_t epoch_i() const { return static_cast<std::int64_t>(epoch_); }
  void start_work_epoch() {
    for (Decoder& d : decoders_) {
      if (d.request == nullptr) continue;
      const WorkMark earned = earned_since(d.x, d.mark);
      // The sums restart from zero, so every member's value is zero from here: its mark is minus what it earned.
      d.mark = WorkMark{-earned.energy, -earned.gpu};
    }
    acc_ = WorkSums{};
    epoch_ = counter_;
  }
  /// An empty pool restarts its counter, which keeps the offsets small, and with it its work sums (no member is
  /// left to credit).
  void restart_empty_pool() {
    counter_ = 0;
    ahead_ = 0;
    acc_ = WorkSums{};
    epoch_ = 0;
  }

  void for_each_member(const std::function<void(Request&, double)>& f) const override {
    std::vector<const Decoder*> members;
    for (const Decoder& d : decoders_) {
      if (d.request != nullptr) members.push_back(&d);
    }
    std::sort(members.begin(), members.end(), [](const Decoder* a, const Decoder* b) { return a->order < b->order; });
    for (const Decoder* d : members) f(*d->request, static_cast<double>(d->x + epoch_i()));
  }

  // ---- scheduling ----------------------------------------------------------------------------------------------

  void schedule_next() {
    step_ = StepKind::kNone;
    for (int pass = 0; pass < 3; ++pass) {
      preempt_for_priority();
      std::uint64_t budget = s_.max_num_batched_tokens;
      if (!s_.chunked_prefill) {
        if (admit_waiting(budget) > 0) {
          start_single();
          return;
        }
        ensure_decode_slots();
        if (mark_decodes() > 0) {
          start_decode_run();
          return;
        }
      } else {
        const bool preempted = ensure_decode_slots();
        const std::uint32_t decodes = mark_decodes();
        budget -= std::min<std::uint64_t>(budget, decodes);
        bool chunks = false;
        for (Sequence& seq : prefilling_) {
          if (budget == 0) break;
          seq.chunk = static_cast<std::uint32_t>(std::min<std::uint64_t>(seq.prompt_tokens - seq.prefilled, budget));
          budget -= seq.chunk;
          chunks = chunks || seq.chunk > 0;
        }
        if (!preempted && admit_waiting(budget) > 0) chunks = true;
        if (chunks) {
          if (!preempted && budget == 0) {
            std::uint64_t blocks = 0;
            if (const std::uint64_t k = prefill_run_length(blocks); k > 1) {
              start_prefill_run(k, blocks);
              return;
            }
          }
          start_single();
          return;
        }
        if (decodes > 0) {
          start_decode_run();
          return;
        }
      }
      if (running_count() == 0 && waiting_ == 0) break;
      // Preemption emptied the batch: the next pass admits the preempted work again.
    }
    if (running_count() != 0 || waiting_ != 0) {
      throw std::logic_error("continuous_batching: a step with work pending scheduled nothing");
    }
    activity_ = ReplicaActivity{};
    report();
  }

  /// Tokens the next admission of `r` prefills: its prompt, plus what it had generated before a preemption.
  std::uint32_t prompt_of(const Request& r) const {
    if (!resumed_ || resumed_->empty()) return input_of(r);
    const auto resumed = resumed_->find(r.id);
    return input_of(r) + (resumed == resumed_->end() ? 0 : resumed->second);
  }

  /// Running sequences of `all` the queue's first request may preempt (priority with preempt_lower_plans), and the
  /// blocks they hold.
  std::pair<std::size_t, std::uint64_t> outranked(const Request& waiting, const std::vector<Sequence>& all) const {
    std::size_t n = 0;
    std::uint64_t blocks = 0;
    for (const Sequence& seq : all) {
      if (queue_->outranks(waiting, *seq.request)) {
        ++n;
        blocks += seq.blocks;
      }
    }
    return {n, blocks};
  }

  /// When the queue's first request cannot be admitted (no sequence slot or KV blocks) but outranks running
  /// requests whose eviction would make room, preempts them (recompute), lowest rank first and newest first within
  /// a rank, until it fits (docs/models-policy.md, "Priority by plan").
  void preempt_for_priority() {
    if (!may_outrank_) return;
    Request* r = front();
    if (r == nullptr) return;
    const std::uint64_t need = kv_.blocks_for(prompt_of(*r)) + s_.watermark_blocks;
    if (running_count() < s_.max_num_seqs && need <= kv_.free()) return;
    std::vector<std::pair<std::uint64_t, WorkMark>> marks;
    const std::uint64_t ahead = ahead_;
    std::vector<Sequence> all = take_batch(marks);
    const auto fits = [&] { return all.size() < s_.max_num_seqs && need <= kv_.free(); };
    const auto [victims, blocks] = outranked(*r, all);
    if (victims > 0 && need <= kv_.free() + blocks) {
      while (!fits()) {
        std::size_t victim = all.size();
        for (std::size_t i = all.size(); i-- > 0;) {
          if (!queue_->outranks(*r, *all[i].request)) continue;
          if (victim == all.size() || queue_->outranks(*all[victim].request, *all[i].request)) victim = i;
        }
        if (victim == all.size()) break;
        preempt(all, victim, marks);
      }
    }
    rebuild(all, marks, ahead);
  }

  /// Admits waiting requests in queue order while they fit; returns how many.
  std::uint32_t admit_waiting(std::uint64_t& budget) {
    const SimTime now = ctx_.engine.now();
    std::uint32_t admitted = 0;
    while (Request* r = front()) {
      if (running_count() >= s_.max_num_seqs) break;
      std::uint32_t generated = 0;
      bool was_preempted = false;
      if (resumed_ && !resumed_->empty()) {
        const auto resumed = resumed_->find(r->id);
        if (resumed != resumed_->end()) {
          generated = resumed->second;
          was_preempted = true;
        }
      }
      const std::uint32_t prompt = input_of(*r) + generated;
      const std::uint64_t need = kv_.blocks_for(prompt);
      if (need + s_.watermark_blocks > kv_.free()) break;
      std::uint32_t chunk = prompt;
      if (s_.chunked_prefill) {
        if (budget == 0) break;
        chunk = static_cast<std::uint32_t>(std::min<std::uint64_t>(prompt, budget));
      } else if (prompt > budget && admitted > 0) {
        break;
      }
      queue_->pop_front();
      --waiting_;
      queued_prompt_tokens_ -= prompt;
      queue_->on_served(*r, prompt, 0);
      kv_.try_allocate(need);
      budget -= std::min<std::uint64_t>(budget, chunk);
      // Built in place: a copy from the stack read 16-byte pieces of it back before its narrower stores had
      // landed, a stalled store-to-load forwarding on most of them.
      Sequence& seq = prefilling_.emplace_back();
      seq.request = r;
      seq.user = r->user;
      seq.user_class = r->user_class;
      seq.source_tag = r->source_tag;
      seq.order = next_order_++;
      seq.prompt_tokens = prompt;
      seq.generated = generated;
      seq.target = r->output_tokens;
      seq.blocks = need;
      seq.chunk = chunk;
      if (was_preempted) {
        resumed_->erase(r->id);
      } else {
        ctx_.listener.on_started(*r, now);
      }
      ++admitted;
    }
    return admitted;
  }

  /// Gives every decoding sequence a KV slot for its next token, preempting the newest sequences (recompute) when
  /// blocks run out, as vLLM's _schedule_running does. Returns whether it preempted.
  bool ensure_decode_slots() {
    if (decoder_count_ == 0 || ahead_ >= 1) return false;
    if (kv_.try_allocate(next_token_blocks())) {
      ahead_ = 1;
      return false;
    }
    return preempt_for_decode_slots();
  }
  /// ensure_decode_slots when the free blocks do not hold every decoder's next token (rare; out of line, so that
  /// the usual case inlines without this one's vectors).
  [[gnu::noinline]] bool preempt_for_decode_slots() {
    // Not every decoder gets its slot: vLLM's loop over the batch, which preempts from the back.
    std::vector<std::pair<std::uint64_t, WorkMark>> marks;
    std::vector<Sequence> all = take_batch(marks);
    bool preempted = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!all[i].decoding) continue;
      const std::uint64_t want = kv_.blocks_for(all[i].computed + 1);
      while (want > all[i].blocks) {
        if (kv_.try_allocate(want - all[i].blocks)) {
          all[i].blocks = want;
          break;
        }
        preempted = true;
        if (all.size() - 1 > i) {
          preempt(all, all.size() - 1, marks);
        } else {
          preempt(all, i, marks);  // nothing newer to evict: the sequence itself waits
          break;
        }
      }
    }
    rebuild(all, marks, 1);
    return preempted;
  }

  void preempt(std::vector<Sequence>& all, std::size_t index,
               const std::vector<std::pair<std::uint64_t, WorkMark>>& marks) {
    const Sequence seq = all[index];
    all.erase(all.begin() + static_cast<std::ptrdiff_t>(index));
    if (seq.decoding) {
      const auto m = std::lower_bound(marks.begin(), marks.end(), seq.order,
                                      [](const auto& p, std::uint64_t o) { return p.first < o; });
      credit(seq.request, seq.x, m->second);
    }
    kv_.release(seq.blocks);
    if (seq.request->preemptions < std::numeric_limits<std::uint16_t>::max()) ++seq.request->preemptions;
    if (!resumed_) resumed_ = std::make_unique<std::unordered_map<std::uint64_t, std::uint32_t>>();
    (*resumed_)[seq.request->id] = seq.generated;
    queue_->requeue(*seq.request, ctx_.engine.now());
    ++waiting_;
    queued_prompt_tokens_ += prompt_of(*seq.request);
  }

  std::uint32_t mark_decodes() {
    pool_decodes_ = decoder_count_ > 0;
    return decoder_count_;
  }

  /// Adds one decode token of every decoder to `shape` (the sums add_decode_token would make, in O(1)).
  void add_pool_decodes(BatchShape& shape) const {
    const std::uint64_t contexts =
        static_cast<std::uint64_t>(sum_x_ + static_cast<std::int64_t>(decoder_count_) * counter_i()) + decoder_count_;
    shape.sequences += decoder_count_;
    shape.decode_tokens += decoder_count_;
    shape.context_tokens += contexts;
    shape.attention_pairs += static_cast<double>(contexts);
  }

  // ---- steps ---------------------------------------------------------------------------------------------------

  /// One iteration with prompt chunks (and, with chunked prefill, the decodes).
  void start_single() {
    const SimTime now = ctx_.engine.now();
    BatchShape shape;
    bool prefill = false;
    for (const Sequence& seq : prefilling_) {
      if (seq.chunk > 0) {
        add_prefill_chunk(shape, seq.computed, seq.chunk);
        prefill = true;
      }
    }
    const bool decode = pool_decodes_;
    if (decode) add_pool_decodes(shape);
    const IterationTime t = predictor_.predict(shape);
    const IterationWork w = work_(shape);
    step_ = StepKind::kSingle;
    run_iterations_ = 1;
    step_start_ = now;
    set_activity(prefill && decode ? GpuPhase::kMixed : (prefill ? GpuPhase::kPrefill : GpuPhase::kDecode), t.time_s,
                 t.busy_s, w.flops_per_gpu, w.bytes_per_gpu());
    step_slowdown_ = read_slowdown();
    schedule_end(now + std::max<SimTime>(1, from_seconds(t.time_s * step_slowdown_)));
    report();
  }

  /// With chunked prefill, a prompt longer than the token budget left by the decodes takes that whole budget in
  /// every iteration until its last chunk: no admission is possible meanwhile (the budget is spent) and the batch
  /// changes only when a decoder finishes or KV blocks run out. Those iterations form a run like a decode run
  /// (docs/models-serving.md, "Prefill runs"). Returns how many iterations of the current step's composition can
  /// run that way (0 or 1: none), and in `blocks` the KV blocks its decoders take beyond iteration 0's.
  std::uint64_t prefill_run_length(std::uint64_t& blocks) const {
    if (s_.exact_iterations || prefilling_.empty() || may_outrank_ || counts_service_) return 0;
    const Sequence& lead = prefilling_.front();
    const std::uint64_t u = lead.chunk;
    if (u == 0) return 0;
    // Full chunks that leave at least one prompt token for a later iteration (the last chunk samples a token).
    const std::uint64_t rest = lead.prompt_tokens - lead.prefilled;
    std::uint64_t limit = (rest - 1) / u;
    if (decoder_count_ > 0) limit = std::min<std::uint64_t>(limit, next_finish_at_ - counter_i());
    return limit <= 1 ? limit : longest_fitting_run(limit, blocks);
  }

  /// Largest K <= limit (>= 1) whose decoders' extra KV blocks, beyond the slots already held for iteration 0,
  /// fit the free blocks; `blocks` gets those blocks (block_delta(1, K)), which the run then takes.
  std::uint64_t longest_fitting_run(std::uint64_t limit, std::uint64_t& blocks) const {
    blocks = block_delta(1, limit);
    if (blocks <= kv_.free()) return limit;  // the usual case: the cache holds the whole run
    std::uint64_t lo = 1, hi = limit;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo + 1) / 2;
      if (block_delta(1, mid) <= kv_.free()) lo = mid;
      else hi = mid - 1;
    }
    blocks = block_delta(1, lo);
    return lo;
  }

  /// Starts a closed-form run of k iterations from iteration 0 `first`, iteration 1 `next`, whose decoders
  /// already hold their slots for iteration 0 and take `blocks` (block_delta(1, k)) more for the rest.
  void begin_run(StepKind kind, GpuPhase phase, std::uint64_t k, std::uint64_t blocks, const BatchShape& first,
                 const BatchShape& next, const DecodeSeries& series) {
    const SimTime now = ctx_.engine.now();
    kv_.try_allocate(blocks);
    if (pool_decodes_) ahead_ = k;
    series_ = series;
    const IterationWork w0 = work_(first), w1 = work_(next);
    run_work_ = RunWork{w0.flops_per_gpu, w1.flops_per_gpu - w0.flops_per_gpu, w0.bytes_per_gpu(),
                        w1.bytes_per_gpu() - w0.bytes_per_gpu()};
    run_phase_ = phase;
    step_ = kind;
    run_iterations_ = k;
    step_start_ = now;
    const double sum_k_s = series_.sum_s(k);
    set_run_activity(0, k, 0.0, sum_k_s);
    step_slowdown_ = read_slowdown();
    schedule_end(now + std::max<SimTime>(1, offset_of(sum_k_s)));
    report();
  }

  /// K iterations of the decoders plus equal chunks of the lead prompt, in one event.
  void start_prefill_run(std::uint64_t k, std::uint64_t blocks) {
    Sequence& lead = prefilling_.front();
    const std::uint64_t u = lead.chunk;
    BatchShape first, second;
    add_prefill_chunk(first, lead.computed, u);
    add_prefill_chunk(second, lead.computed + u, u);
    if (pool_decodes_) {
      add_pool_decodes(first);
      add_pool_decodes(second);
      second.context_tokens += decoder_count_;
      second.attention_pairs += decoder_count_;
    }
    run_chunk_ = u;
    lead.chunk = static_cast<std::uint32_t>(k * u);  // the prompt tokens this step computes
    begin_run(StepKind::kPrefillRun, pool_decodes_ ? GpuPhase::kMixed : GpuPhase::kPrefill, k, blocks, first, second,
              predictor_.run_series(first, second));
  }

  /// Decode-only iterations until the batch changes: the first completion, or the last iteration whose KV slots fit.
  void start_decode_run() {
    BatchShape shape;
    add_pool_decodes(shape);
    const std::uint64_t finish = static_cast<std::uint64_t>(next_finish_at_ - counter_i());
    std::uint64_t blocks = 0;
    const std::uint64_t k = longest_fitting_run(s_.exact_iterations ? 1 : finish, blocks);
    BatchShape next = shape;
    next.context_tokens += shape.sequences;
    next.attention_pairs += shape.sequences;
    begin_run(StepKind::kDecodeRun, GpuPhase::kDecode, k, blocks, shape, next, predictor_.decode_series(shape));
  }

  void schedule_end(SimTime end, std::uint32_t kind = kStepEnd) {
    step_end_ = end;
    ctx_.engine.set_timer(end, *this, kind);  // replaces the end of a run cut short (maybe_cut_run)
    // What the step's end reads first besides the replica's first lines: the next decoder to finish (its work mark
    // in the same line), and the free slot the next prefilled sequence takes (stale hints cost nothing).
    Engine::PrefetchHints& hints = ctx_.engine.prefetch_hints(*this);
    const bool decoding = decoder_count_ > 0;
    hints.at = {PrefetchHint{decoding ? &decoders_[next_finish_slot_] : nullptr},
                PrefetchHint{free_head_ != kNoSlot ? &decoders_[free_head_] : nullptr}, PrefetchHint{}};
  }

  /// The power cap's slowdown of the work just set in activity_, read afresh for every step because a policy may
  /// change the cap. A step keeps the factor it started with (a cap change applies from the next step).
  double read_slowdown() const { return ctx_.power ? ctx_.power->slowdown(ctx_.index, activity_) : 1.0; }

  /// Time from the start of the current run to the end of its iteration i-1 (slowed down by the cap), ns.
  SimTime run_offset(std::uint64_t i) const { return offset_of(series_.sum_s(i)); }
  /// run_offset from the series' sum over the iterations (sum_s), for callers that need the sum as well.
  SimTime offset_of(double sum_s) const { return from_seconds(sum_s * step_slowdown_); }

  /// Iterations of the current run completed by `elapsed` since its start: the largest i <= K whose end,
  /// run_offset(i), is at or before it. The series' inverse gives a guess; a galloping search from it settles the
  /// exact answer (run_offset rounds to ns) in a step or two instead of log2 K evaluations.
  /// series_.sum_s of the answer goes to `sum_done_s` (the search evaluates it anyway).
  std::uint64_t iterations_done(SimTime elapsed, double& sum_done_s) const {
    const std::uint64_t k = run_iterations_;
    double probe_s = 0.0;
    const auto fits = [&](std::uint64_t i) {
      probe_s = series_.sum_s(i);
      return offset_of(probe_s) <= elapsed;
    };
    std::uint64_t guess = std::min(k, series_.iterations_within(to_seconds(elapsed) / step_slowdown_));
    std::uint64_t lo, hi;  // fits(lo), and the answer is in [lo, hi]; lo_s = sum_s(lo)
    double lo_s = 0.0;
    if (fits(guess)) {
      lo = guess;
      lo_s = probe_s;
      std::uint64_t step = 1;
      hi = k;
      while (lo < k) {
        const std::uint64_t probe = std::min(k, lo + step);
        if (!fits(probe)) {
          hi = probe - 1;
          break;
        }
        lo = probe;
        lo_s = probe_s;
        step *= 2;
      }
    } else {
      hi = guess - 1;  // guess >= 1 here, since run_offset(0) = 0 <= elapsed
      std::uint64_t step = 1;
      lo = 0;
      while (hi > 0) {
        const std::uint64_t probe = hi >= step ? hi - step : 0;
        if (fits(probe)) {
          lo = probe;
          lo_s = probe_s;
          break;
        }
        hi = probe - 1;
        step *= 2;
      }
    }
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo + 1) / 2;
      if (fits(mid)) {
        lo = mid;
        lo_s = probe_s;
      } else {
        hi = mid - 1;
      }
    }
    sum_done_s = lo_s;
    return lo;
  }
  /// Iterations of the current run that have begun by `elapsed`: the run can stop at the end of the last of them.
  std::uint64_t iterations_begun(SimTime elapsed) const {
    double sum_done_s = 0.0;
    const std::uint64_t done = iterations_done(elapsed, sum_done_s);
    return std::min(run_iterations_, (done >= 1 && offset_of(sum_done_s) == elapsed) ? done : done + 1);
  }

  /// An arrival during a run: if the waiting queue's first request could be admitted at the end of the iteration in
  /// progress, the run stops there (the iterations before it are unchanged).
  /// Returns whether it cut the run (and so changed the activity).
  bool maybe_cut_run() {
    const SimTime elapsed = ctx_.engine.now() - step_start_;
    double sum_done_s = 0.0;
    const std::uint64_t done = iterations_done(elapsed, sum_done_s);
    const bool on_boundary = done >= 1 && offset_of(sum_done_s) == elapsed;
    const std::uint64_t cut = on_boundary ? done : done + 1;
    if (cut >= run_iterations_) return false;
    const std::uint64_t released = block_delta(cut, run_iterations_);
    if (!front_admissible_after(released)) return false;
    kv_.release(released);
    ahead_ = cut;
    run_iterations_ = cut;
    const double sum_cut_s = on_boundary ? sum_done_s : series_.sum_s(cut);
    schedule_end(step_start_ + std::max<SimTime>(1, offset_of(sum_cut_s)));
    set_run_activity(done, cut, sum_done_s, sum_cut_s);
    return true;
  }

  /// Whether the waiting queue's first request could be admitted if the run stopped early, releasing `released`
  /// blocks.
  bool front_admissible_after(std::uint64_t released) {
    Request* r = front();
    if (r == nullptr) return false;
    const std::uint64_t need = kv_.blocks_for(prompt_of(*r)) + s_.watermark_blocks;
    if (running_count() < s_.max_num_seqs && need <= kv_.free() + released) return true;
    if (!may_outrank_) return false;
    // Priority preemption: the run stops where evicting lower plans lets the request in (blocks counted whole).
    const auto [victims, blocks] = outranked(*r, explicit_batch());
    return victims > 0 && need <= kv_.free() + released + blocks;
  }

  void finish_step() {
    const SimTime now = ctx_.engine.now();
    // The buffers are the simulation's: a step may only end between other steps' events, never inside one.
    if (scratch_->in_use) throw std::logic_error("continuous_batching: a step ended inside another step's callbacks");
    scratch_->in_use = true;
    const std::uint64_t k = pool_decodes_ ? run_iterations_ : 0;  // tokens each decoder gained
    // Start loading the requests and user records that the completions and work shares below read, so that those
    // misses overlap report_work instead of following one another (docs/performance.md, "Eighth session"). Both
    // of a request's lines: a completion and a first token write its times and outcome, in the second.
    if (k > 0 && next_finish_at_ <= counter_i() + static_cast<std::int64_t>(k)) {
      const Decoder& d = decoders_[next_finish_slot_];
      prefetch_request(d.request);
      ctx_.listener.prefetch_completion(d.user, d.user_class, d.source_tag);
    }
    for (const Sequence& seq : prefilling_) {
      if (seq.chunk == 0) continue;
      prefetch_request(seq.request);
      ctx_.listener.prefetch_completion(seq.user, seq.user_class, seq.source_tag);
    }
    if (waiting_ > 0) queue_->prefetch_front();
    ctx_.activity.prefetch_replica(ctx_.index);
    report_work(now);
    if (counts_service_) count_service(k);
    auto& completed = scratch_->completed;
    auto& first_tokens = scratch_->first_tokens;
    completed.clear();
    first_tokens.clear();
    if (k > 0) {
      counter_ += k;
      ahead_ -= k;
      auto& finishing = scratch_->slots;
      finishing.clear();
      while (next_finish_at_ <= counter_i()) {
        finishing.push_back(next_finish_slot_);
        heap_pop();
        set_next_finish();
      }
      if (finishing.size() > 1) {
        // The heap breaks ties by slot; completions go in (counter, admission) order.
        std::sort(finishing.begin(), finishing.end(), [this](std::uint32_t a, std::uint32_t b) {
          const Decoder& x = decoders_[a];
          const Decoder& y = decoders_[b];
          const std::int64_t ax = x.target - x.gx, ay = y.target - y.gx;
          return ax != ay ? ax < ay : x.order < y.order;
        });
      }
      for (const std::uint32_t slot : finishing) {
        const Decoder d = decoders_[slot];
        credit(d.request, d.x, d.mark);
        kv_.release(kv_.blocks_for(computed_of(d)));
        completed.emplace_back(d.order, d.request);
        remove_decoder(slot);
      }
    }
    pool_decodes_ = false;
    std::size_t keep = 0;
    const std::size_t decoder_completions = completed.size();
    for (std::size_t i = 0; i < prefilling_.size(); ++i) {
      Sequence seq = prefilling_[i];
      if (seq.chunk > 0) {
        seq.prefilled += seq.chunk;
        seq.computed += seq.chunk;
        seq.chunk = 0;
        if (seq.prefilled == seq.prompt_tokens) {
          // The iteration that finishes the prompt samples the next token.
          seq.decoding = true;
          ++seq.generated;
          if (seq.generated == 1) first_tokens.push_back(seq.request);
        }
      }
      if (!seq.decoding) {
        prefilling_[keep++] = seq;
      } else if (seq.generated >= seq.target) {
        kv_.release(seq.blocks);
        completed.emplace_back(seq.order, seq.request);
      } else {
        add_decoder(seq);  // its blocks are blocks_for(computed): ahead_ is 0 after a step
      }
    }
    prefilling_.resize(keep);
    if (decoder_completions > 0 && decoder_completions < completed.size()) {
      std::sort(completed.begin(), completed.end());  // callbacks in batch order, as vLLM returns outputs
    }
    step_ = StepKind::kNone;
    // Listeners may submit new requests here (closed loops); they queue until schedule_next below.
    in_callbacks_ = true;
    for (Request* r : first_tokens) ctx_.listener.on_first_token(*r, now);
    for (const auto& [order, r] : completed) ctx_.listener.on_completed(*r, now);
    in_callbacks_ = false;
    scratch_->in_use = false;
    schedule_next();
  }

  /// Reports the tokens of the step just ended to a fair-share queue, sequence by sequence in batch order: the
  /// token sampled at the end of a prompt, and each decoder's k.
  void count_service(std::uint64_t k) {
    std::vector<std::tuple<std::uint64_t, Request*, std::uint64_t>> served;
    for (const Sequence& seq : prefilling_) {
      if (seq.chunk > 0 && seq.prefilled + seq.chunk == seq.prompt_tokens) served.emplace_back(seq.order, seq.request, 1);
    }
    if (k > 0) {
      for (const Decoder& d : decoders_) {
        if (d.request != nullptr) served.emplace_back(d.order, d.request, k);
      }
    }
    std::sort(served.begin(), served.end());
    for (const auto& [order, r, tokens] : served) queue_->on_served(*r, 0, tokens);
  }

  // ---- cost attribution (docs/attribution.md) -------------------------------------------------------------------

  /// Reports the step that ends at `end` as one work span. A request's work is expressed in seconds of the
  /// resource that bounds it at peak: a prefill chunk's FLOPs at peak FLOP/s; a decode token's bytes (its equal
  /// share of the weights read once per iteration plus its own KV cache) at peak HBM bandwidth. Over a closed-form
  /// run of K iterations the bytes are summed exactly: K·W/B + kv·Σ_{k<K}(c + 1 + k). The decoders' shares are
  /// that expression with c = x + N (N the decode counter), i.e. base + slope·x, reported as a pool.
  void report_work(SimTime end) {
    if (ctx_.work == nullptr || end <= step_start_) return;
    auto& shares = scratch_->shares;
    shares.clear();
    const double per_flop_s = 1.0 / work_.peak_flops_per_s();
    const double per_byte_s = 1.0 / s_.layout.gpu.memory_bandwidth_bytes_per_s;
    for (const Sequence& seq : prefilling_) {
      if (seq.chunk == 0) continue;
      double flops = 0.0;
      if (step_ == StepKind::kPrefillRun && &seq == &prefilling_.front()) {
        // K chunks of u tokens: FLOPs are affine in the tokens already computed.
        BatchShape c0, c1;
        add_prefill_chunk(c0, seq.computed, run_chunk_);
        add_prefill_chunk(c1, seq.computed + run_chunk_, run_chunk_);
        const double f0 = work_(c0).flops_per_gpu, f1 = work_(c1).flops_per_gpu;
        flops = affine_sum(f0, f1 - f0, 0.0, static_cast<double>(run_iterations_));
      } else {
        BatchShape chunk;
        add_prefill_chunk(chunk, seq.computed, seq.chunk);
        flops = work_(chunk).flops_per_gpu;
      }
      shares.push_back(WorkShare{seq.request, flops * per_flop_s});
    }
    PooledWork pooled;
    if (pool_decodes_ && decoder_count_ > 0) {
      if (counter_ - epoch_ >= kWorkEpochIterations) start_work_epoch();
      const double k = static_cast<double>(run_iterations_);
      const double n = static_cast<double>(counter_ - epoch_);
      const double kv = kv_bytes_per_token_per_gpu_;
      pooled.pool = this;
      pooled.base = (k * weight_bytes_per_gpu_ / decoder_count_ + kv * (k * n + k * (k + 1) / 2)) * per_byte_s;
      pooled.slope = kv * k * per_byte_s;
      pooled.members = decoder_count_;
      pooled.sum_x = static_cast<double>(sum_x_ + static_cast<std::int64_t>(decoder_count_) * epoch_i());
    }
    if (shares.empty() && pooled.pool == nullptr) return;
    const WorkRates rates = ctx_.work->on_work(ctx_.index, step_start_, end, shares, pooled);
    if (pooled.pool != nullptr) {
      acc_.energy += rates.energy_j_per_share * pooled.base;
      acc_.energy_slope += rates.energy_j_per_share * pooled.slope;
      acc_.gpu += rates.gpu_s_per_share * pooled.base;
      acc_.gpu_slope += rates.gpu_s_per_share * pooled.slope;
    }
  }

  // ---- activity ------------------------------------------------------------------------------------------------

  void set_activity(GpuPhase phase, double duration_s, double busy_s, double flops_per_gpu, double bytes_per_gpu) {
    activity_.phase = phase;
    activity_.running = running_count();
    activity_.queued = waiting_;
    const double d = std::max(duration_s, 1e-12);
    activity_.busy_fraction = std::clamp(busy_s / d, 0.0, 1.0);
    activity_.compute_fraction = std::clamp(flops_per_gpu / (d * work_.peak_flops_per_s()), 0.0, 1.0);
    activity_.memory_bw_fraction =
        std::clamp(bytes_per_gpu / (d * s_.layout.gpu.memory_bandwidth_bytes_per_s), 0.0, 1.0);
    activity_.kv_occupancy = kv_.occupancy();
  }

  /// Averages over iterations [a, b) of the current run (FLOPs and bytes are affine in the iteration index);
  /// sum_a_s and sum_b_s are series_.sum_s(a) and (b), which the callers have computed already.
  void set_run_activity(std::uint64_t a, std::uint64_t b, double sum_a_s, double sum_b_s) {
    const double fa = static_cast<double>(a), fb = static_cast<double>(b);
    const double flops = affine_sum(run_work_.flops, run_work_.flops_step, fa, fb);
    const double bytes = affine_sum(run_work_.bytes, run_work_.bytes_step, fa, fb);
    const double duration = sum_b_s - sum_a_s;
    const double busy = series_.busy_sum_s(b, sum_b_s) - series_.busy_sum_s(a, sum_a_s);
    set_activity(run_phase_, duration, busy, flops, bytes);
  }

  void report() { ctx_.activity.on_activity(ctx_.index, ctx_.engine.now(), activity_); }

  /// A decoder's completion is one 8-byte heap key: the decode counter value at which it has generated its
  /// target, above its slot (max_num_seqs is at most 10^6 < 2^20), so a pop touches few cache lines.
  static constexpr unsigned kSlotBits = 20;
  static constexpr std::int64_t kMaxFinishAt = std::int64_t{1} << (63 - kSlotBits);
  static std::int64_t finish_at(std::uint64_t key) { return static_cast<std::int64_t>(key >> kSlotBits); }

  // Members in the order an event touches them, packed without holes: 1,280 replicas of 768 bytes outgrew the
  // 1 MiB L2, and each of the 12 lines an event touched was a miss (docs/performance.md, "Seventh session").
  // Rarely used members come last.
  const ContinuousBatchingSettings& s_;
  const IterationPredictor& predictor_;
  const IterationWorkModel& work_;  ///< the config's, shared by its replicas
  std::unique_ptr<WaitQueue> queue_;
  WorkSums acc_;  ///< the pool's work sums in the current epoch; here, where its 32-byte alignment leaves no hole
  /// What the replica uses of its ReplicaContext (not the random stream): 48 bytes instead of 96.
  struct Context {
    explicit Context(const ReplicaContext& c)
        : engine(c.engine), listener(c.listener), activity(c.activity), work(c.work), power(c.power), index(c.index) {}
    Engine& engine;
    RequestListener& listener;
    ActivityObserver& activity;
    WorkObserver* work;
    const PowerGovernor* power;
    std::uint32_t index;
  };
  Context ctx_;
  PagedKvCache kv_;
  /// The simulation's shared buffers (ReplicaContext::scratch), or own_scratch_ when it has none.
  ReplicaScratch* scratch_;
  std::vector<Sequence> prefilling_;   ///< admitted, prompt not done, in admission order
  std::vector<Decoder> decoders_;      ///< slots of the decoding pool
  std::vector<std::uint64_t> finish_heap_;  ///< 4-ary min-heap of completion keys, one per decoder (heap_push)
  /// [i], i below the block size: decoders whose x modulo the block size is below i (null for large blocks); one
  /// array, not a histogram and its prefix sums, so that adding a decoder touches one line less. It points into
  /// the replica (residue_inline_) for blocks of up to 16 tokens, vLLM's default: a separate 68-byte allocation
  /// was two more lines per event.
  std::uint32_t* residue_prefix_ = nullptr;
  static constexpr std::int64_t kNoFinish = std::numeric_limits<std::int64_t>::max();
  std::int64_t next_finish_at_ = kNoFinish;  ///< the heap's top, kept here so a step that completes nothing
                                             ///< does not touch the heap
  std::uint32_t next_finish_slot_ = 0;       ///< and its slot (when the heap is not empty)
  std::int64_t sum_x_ = 0;
  std::uint64_t counter_ = 0;          ///< decode iterations the pool has run since it was last empty
  std::uint64_t epoch_ = 0;            ///< the counter when the current work epoch began (start_work_epoch)
  std::uint64_t ahead_ = 0;            ///< tokens beyond computed every decoder holds KV slots for
  std::uint64_t next_order_ = 0;
  std::uint64_t run_iterations_ = 0;
  SimTime step_start_ = 0;
  SimTime step_end_ = 0;
  std::uint64_t run_chunk_ = 0;  ///< prefill run: the lead prompt's tokens per iteration
  std::uint64_t queued_prompt_tokens_ = 0;  ///< prompt tokens (recomputation included) of the waiting requests
  double step_slowdown_ = 1.0;  ///< power-cap slowdown of the step in flight
  double weight_bytes_per_gpu_ = 0.0;        ///< weights streamed once per iteration, bytes
  double kv_bytes_per_token_per_gpu_ = 0.0;  ///< KV bytes one context token reads per iteration, bytes
  /// Free decoder slots, the last freed first, linked through their `order` (a vector of them would be one more
  /// line to touch per decoder added or removed).
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t free_head_ = kNoSlot;
  std::uint32_t decoder_count_ = 0;
  std::uint32_t waiting_ = 0;          ///< queue_->size(), kept here: the queue is another object to fetch
  bool may_outrank_ = false;           ///< queue_->may_outrank(), fixed for the queue's life
  bool counts_service_ = false;        ///< queue_->counts_service()
  bool pool_decodes_ = false;          ///< the step in flight decodes the pool
  bool in_callbacks_ = false;
  StepKind step_ = StepKind::kNone;
  GpuPhase run_phase_ = GpuPhase::kDecode;
  DecodeSeries series_;
  /// FLOPs and bytes per GPU of the run in flight: iteration 0's and the step to iteration 1 (both affine in the
  /// iteration), kept rather than recomputed at every cut.
  struct RunWork {
    double flops = 0, flops_step = 0, bytes = 0, bytes_step = 0;
  };
  RunWork run_work_;
  ReplicaActivity activity_;
  /// Preempted request id -> tokens it had generated; allocated at the first preemption (a pointer keeps the
  /// replica, every line of which an event touches, a line shorter).
  std::unique_ptr<std::unordered_map<std::uint64_t, std::uint32_t>> resumed_;
  std::unique_ptr<ReplicaScratch> own_scratch_;
  std::unique_ptr<std::uint32_t[]> residue_heap_;  ///< residue_prefix_ for blocks above kInlineResidues tokens
  static constexpr std::uint32_t kInlineResidues = 16;
  alignas(64) std::uint32_t residue_inline_[kInlineResidues] = {};
};

}  // namespace

ContinuousBatchingConfig::ContinuousBatchingConfig(ContinuousBatchingSettings settings,
                                                   std::shared_ptr<const IterationPredictor> predictor,
                                                   std::shared_ptr<const WaitQueueConfig> queue_order)
    : settings_(std::move(settings)),
      work_(settings_.layout),
      predictor_(std::move(predictor)),
      queue_order_(std::move(queue_order)) {}

std::unique_ptr<Replica> ContinuousBatchingConfig::make_replica(ReplicaContext context) const {
  // A policy set's queue order, when the simulation passes one, replaces the serving model's `queue_order:`.
  std::unique_ptr<WaitQueue> queue =
      context.queue_order ? context.queue_order->make_queue() : queue_order_->make_queue();
  return std::make_unique<ContinuousBatchingReplica>(settings_, *predictor_, work_, std::move(queue), context);
}

std::string ContinuousBatchingConfig::describe() const {
  const auto& s = settings_;
  return fmt::format("continuous batching: {} on {}x {} (TP{} PP{}), KV {} tokens, max_num_seqs {}, {}{}",
                     s.layout.model.name, s.layout.gpus(), s.layout.gpu.name, s.layout.tensor_parallel,
                     s.layout.pipeline_parallel, s.kv.capacity_tokens(), s.max_num_seqs, predictor_->describe(),
                     s.chunked_prefill ? ", chunked prefill" : "");
}

std::unique_ptr<ContinuousBatchingConfig> read_continuous_batching(const ConfigNode& node,
                                                                   const Registry<LatencyModelConfig>& latency_models,
                                                                   const Registry<WaitQueueConfig>& queue_orders) {
  ContinuousBatchingSettings s;
  const Catalog catalog = load_catalog(find_catalog_dir(node.document().file, node.get_string("catalog", "")));
  ReplicaLayout& l = s.layout;
  l.gpu = read_gpu(node.child("gpu"), catalog);
  l.model = read_model(node.child("model"), catalog);
  l.tensor_parallel = static_cast<std::uint32_t>(node.get_int("tensor_parallel", 1, 1, 1024));
  l.pipeline_parallel = static_cast<std::uint32_t>(node.get_int("pipeline_parallel", 1, 1, 1024));
  if (l.tensor_parallel > l.gpu.gpus_per_node) {
    node.child("tensor_parallel").fail(fmt::format("expected tensor parallelism within one node of {} ({} GPUs); use "
                                                   "pipeline_parallel across nodes",
                                                   l.gpu.name, l.gpu.gpus_per_node));
  }
  if (l.model.attention_heads % l.tensor_parallel != 0) {
    node.child("tensor_parallel").fail(fmt::format("expected a divisor of the {} attention heads of {}",
                                                   l.model.attention_heads, l.model.name));
  }
  if (l.model.kv_heads % l.tensor_parallel != 0 && l.tensor_parallel % l.model.kv_heads != 0) {
    node.child("tensor_parallel").fail(fmt::format("expected a divisor or a multiple of the {} KV heads of {}",
                                                   l.model.kv_heads, l.model.name));
  }
  if (l.pipeline_parallel > l.model.layers) {
    node.child("pipeline_parallel").fail(fmt::format("expected at most the {} layers of {}", l.model.layers, l.model.name));
  }
  const std::string kv = node.get_choice("kv_cache_precision", {"auto", "bf16", "fp8"}, "auto");
  l.kv_precision = kv == "fp8" ? Precision::kFp8 : Precision::kBf16;

  s.max_num_seqs = static_cast<std::uint32_t>(node.get_int("max_num_seqs", 256, 1, 1'000'000));
  s.chunked_prefill = node.get_bool("chunked_prefill", false);
  const auto block_size = static_cast<std::uint32_t>(node.get_int("block_size", 16, 1, 4096));
  s.gpu_memory_utilization = node.get_double("gpu_memory_utilization", 0.9, 0.05, 1.0);
  const double watermark = node.get_double("kv_watermark", 0.01, 0.0, 0.5);
  s.exact_iterations = node.get_bool("exact_iterations", false);

  const bool len_given = node.has("max_model_len");
  const auto len_wanted = len_given ? static_cast<std::uint32_t>(node.get_int("max_model_len", 0, 2, 100'000'000))
                                    : l.model.max_context_tokens;
  const bool tokens_given = node.has("max_num_batched_tokens");
  s.max_num_batched_tokens =
      tokens_given ? static_cast<std::uint32_t>(node.get_int("max_num_batched_tokens", 0, 1, 100'000'000))
                   : (s.chunked_prefill ? 2048u : std::max(len_wanted, 2048u));
  const double reserve =
      node.has("activation_reserve")
          ? node.get_quantity("activation_reserve", UnitKind::kBytes, 0.0, 0.0, 1e15)
          : default_activation_reserve_bytes(l, s.max_num_batched_tokens, s.max_num_seqs);
  s.kv = kv_cache_budget(l, s.gpu_memory_utilization, reserve, block_size);
  s.watermark_blocks = static_cast<std::uint64_t>(watermark * static_cast<double>(s.kv.blocks));
  if (s.kv.blocks <= s.watermark_blocks + 1) {
    constexpr double gib = 1024.0 * 1024.0 * 1024.0;
    node.child("model").fail(fmt::format(
        "{} does not fit on {}x {} (TP{} PP{}): per GPU {:.1f} GiB usable, {:.1f} GiB weights, {:.1f} GiB activation "
        "reserve leave {:.2f} GiB for the KV cache; add GPUs, use fp8 weights or raise gpu_memory_utilization",
        l.model.name, l.gpus(), l.gpu.name, l.tensor_parallel, l.pipeline_parallel, s.kv.usable_bytes_per_gpu / gib,
        s.kv.weight_bytes_per_gpu / gib, s.kv.activation_reserve_bytes_per_gpu / gib, s.kv.kv_bytes_per_gpu / gib));
  }
  const std::uint64_t fit_tokens = (s.kv.blocks - s.watermark_blocks) * block_size;
  if (len_given && len_wanted > fit_tokens) {
    node.child("max_model_len").fail(fmt::format(
        "expected at most {} tokens: the KV cache holds {} tokens ({} blocks of {}) less the watermark", fit_tokens,
        s.kv.capacity_tokens(), s.kv.blocks, block_size));
  }
  s.max_model_len = static_cast<std::uint32_t>(std::min<std::uint64_t>(len_wanted, fit_tokens));
  if (s.chunked_prefill && s.max_num_batched_tokens < s.max_num_seqs) {
    node.child(tokens_given ? "max_num_batched_tokens" : "max_num_seqs")
        .fail(fmt::format("with chunked prefill max_num_batched_tokens ({}) must be at least max_num_seqs ({}) so "
                          "that every decode fits an iteration, as in vLLM",
                          s.max_num_batched_tokens, s.max_num_seqs));
  }
  if (!s.chunked_prefill && s.max_num_batched_tokens < s.max_model_len) {
    node.child(tokens_given ? "max_num_batched_tokens" : "max_model_len")
        .fail(fmt::format("without chunked prefill max_num_batched_tokens ({}) must be at least max_model_len ({}), "
                          "as in vLLM; enable chunked_prefill or lower max_model_len",
                          s.max_num_batched_tokens, s.max_model_len));
  }

  std::shared_ptr<const LatencyModelConfig> latency;
  if (auto n = node.optional_child("latency")) {
    latency = latency_models.create(*n, "roofline");
  } else {
    latency = latency_models.create(ConfigNode::load_string("type: roofline", "<default latency>"));
  }
  std::shared_ptr<const IterationPredictor> predictor = latency->make_predictor(l);

  std::shared_ptr<const WaitQueueConfig> order;
  if (auto n = node.optional_child("queue_order")) {
    if (n->is_scalar()) {
      // The short form names an order without settings: `queue_order: fifo`.
      const std::string name = n->as_string();
      if (!queue_orders.contains(name)) {
        std::string list;
        for (const auto& [known, entry] : queue_orders.entries()) list += (list.empty() ? "" : ", ") + known;
        n->fail(fmt::format("expected one of {}, got '{}'", list, name));
      }
      order = queue_orders.create(ConfigNode::load_string("type: " + name, "<queue_order>"));
    } else {
      order = queue_orders.create(*n, "fifo");
    }
  } else {
    order = queue_orders.create(ConfigNode::load_string("type: fifo", "<default queue order>"));
  }
  return std::make_unique<ContinuousBatchingConfig>(std::move(s), std::move(predictor), std::move(order));
}

void register_continuous_batching(Registry<ServingModelConfig>& registry) {
  auto latency_models = std::make_shared<Registry<LatencyModelConfig>>("latency model");
  register_latency_models(*latency_models);
  auto queue_orders = std::make_shared<Registry<WaitQueueConfig>>("queue order");
  register_queue_orders(*queue_orders);
  registry.add("continuous_batching",
               "vLLM-style iteration-level batching of an LLM on TP x PP GPUs with a paged KV cache",
               [latency_models, queue_orders](const ConfigNode& node) -> std::unique_ptr<ServingModelConfig> {
                 return read_continuous_batching(node, *latency_models, *queue_orders);
               });
}

}  // namespace infercost
