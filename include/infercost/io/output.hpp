#pragma once
// Output files: CSV tables and small JSON documents, written atomically (temporary file, then rename).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace infercost {

/// Writes `content` to `path` atomically: a reader sees the old file or the whole new one, never a part.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

/// A CSV cell: text, integer or real (reals print in shortest round-trip form, so outputs are byte-stable).
using CsvCell = std::variant<std::string, std::int64_t, double>;

/// A tidy table: fixed header, rows of cells.
class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> header) : header_(std::move(header)) {}
  const std::vector<std::string>& header() const { return header_; }
  void add_row(std::vector<CsvCell> row);
  std::size_t rows() const { return rows_.size(); }
  const std::vector<std::vector<CsvCell>>& data() const { return rows_; }
  std::string to_string() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<CsvCell>> rows_;
};

/// CSV text written row by row, for tables too large to hold as cells (users.csv of a million users would
/// take 640 bytes a row as cells, against about 60 as text).
class CsvText {
 public:
  explicit CsvText(const std::vector<std::string>& header);
  void add_row(std::span<const CsvCell> row);
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::size_t columns_;
  std::string out_;
};

/// Formats one cell as CSV text (quoted when needed).
std::string format_csv_cell(const CsvCell& cell);
/// Appends one cell as CSV text to `out`.
void append_csv_cell(std::string& out, const CsvCell& cell);
/// Escapes a string for a JSON string literal (quotes included).
std::string json_quote(const std::string& s);

}  // namespace infercost
