#pragma once
// The files a run writes: summary.csv (one row, columns in docs/outputs.md) and run.json (provenance).
#include <filesystem>
#include <string>

#include "infercost/core/simulation.hpp"
#include "infercost/io/output.hpp"

namespace infercost {

/// The one-row summary of a run.
CsvTable summary_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info);

/// replicas.csv: each replica's time-averaged busy fraction, compute and HBM-bandwidth utilization, KV occupancy.
CsvTable replicas_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info);

/// run.json: version, scenario hash, seed, wall seconds, events, events/s, fingerprint, simulated requests,
/// simulated requests and seconds per wall second, peak resident memory.
std::string run_json(const Scenario& scenario, const RunInfo& info);

struct FederatedResult;

/// federation.csv: how a federated run synchronized (sites, ranks, windows, messages, wall time per phase).
CsvTable federation_table(const FederatedResult& result);

/// Writes the outputs of a federated run (merged over sites) into `dir`, plus federation.csv.
void write_run_outputs(const std::filesystem::path& dir, const Scenario& scenario, const FederatedResult& result);

/// Writes every output of a run into `dir` atomically, file by file.
void write_run_outputs(const std::filesystem::path& dir, const Scenario& scenario, const Simulation& sim,
                       const RunInfo& info);

}  // namespace infercost
