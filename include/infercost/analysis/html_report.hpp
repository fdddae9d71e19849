#pragma once
// The visual report: one self-contained report.html (inline CSS and SVG, no scripts, nothing fetched) drawn
// from whichever output files a run folder holds. What each chart reads is in docs/report.md.
#include <filesystem>
#include <string>

namespace infercost {

/// Renders the outputs in `dir` (summary.csv, run.json, timeseries.csv, users.csv, plans.csv, classes.csv,
/// compare.csv; any may be missing) as one HTML page. A chart whose file or columns are missing, or whose file
/// cannot be parsed, becomes a short note. Same files, same bytes. Throws ConfigError when `dir` is not a folder.
std::string render_report(const std::filesystem::path& dir);

/// Renders the report of `dir` and writes it atomically to `out` (default dir/report.html); returns the path.
std::filesystem::path write_report(const std::filesystem::path& dir, const std::filesystem::path& out = {});

}  // namespace infercost
