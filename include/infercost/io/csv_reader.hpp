#pragma once
// Reading CSV files back (RFC 4180): the report and analysis tools read the tables runs wrote, and tables
// other tools wrote, so errors name the file, the line, the data row and the column.
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infercost/io/errors.hpp"

namespace infercost {

/// A CSV file that cannot be parsed, or a cell that is not what was asked for ("file:line: ...", exit code 2).
class CsvError : public Error {
 public:
  explicit CsvError(const std::string& what) : Error(what, kExitBadInput) {}
};

/// A parsed CSV table: one header row, then data rows of text fields, every row as wide as the header.
/// Rows and columns are 0-based in the API; messages count data rows from 1 and give the file line too.
class CsvDocument {
 public:
  /// Parses RFC 4180 text (quoted fields with embedded commas, "" quotes and newlines; LF or CRLF; a leading
  /// UTF-8 byte-order mark is skipped). `source` names the text in messages. Throws CsvError.
  static CsvDocument parse(std::string_view text, std::string source);
  /// Reads and parses a file; throws CsvError when it cannot be read or parsed.
  static CsvDocument read(const std::filesystem::path& path);

  const std::string& source() const { return source_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t rows() const { return rows_.size(); }
  std::size_t columns() const { return header_.size(); }

  /// Index of the first column with this exact name, or nullopt.
  std::optional<std::size_t> find_column(std::string_view name) const;
  /// Index of the first of `names` that is a column (the accepted spellings, preferred first), or nullopt.
  std::optional<std::size_t> find_column(std::initializer_list<std::string_view> names) const;
  std::optional<std::size_t> find_column(const std::vector<std::string>& names) const;
  /// Index of a required column; throws CsvError naming the file and the columns it has.
  std::size_t column(std::string_view name) const;

  /// The text of a cell (unquoted).
  const std::string& text(std::size_t row, std::size_t column) const;
  /// A cell as a number; throws CsvError (file, line, row, column, the text) when empty or not a number.
  double number(std::size_t row, std::size_t column) const;
  /// A cell as a number, or nullopt when empty (an empty cell means "not defined"); throws when not a number.
  std::optional<double> optional_number(std::size_t row, std::size_t column) const;
  /// A whole column as numbers, NaN where a cell is empty; throws at the first cell that is not a number.
  std::vector<double> numbers(std::size_t column) const;
  /// File line (1-based) where a data row starts; a quoted newline makes rows and lines differ.
  std::size_t line_of_row(std::size_t row) const { return row_lines_.at(row); }

 private:
  std::string where(std::size_t row, std::size_t column) const;

  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> row_lines_;
};

/// Parses a whole field as a real number (surrounding blanks allowed; "inf" and "nan" accepted), or nullopt.
std::optional<double> parse_number(std::string_view text);

}  // namespace infercost
