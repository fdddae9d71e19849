#include "infercost/io/csv_reader.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

namespace infercost {

namespace {

/// One record as the parser found it, with the file line it started on.
struct Record {
  std::vector<std::string> fields;
  std::size_t line = 1;
};

std::vector<Record> parse_records(std::string_view text, const std::string& source) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Record> records;
  std::size_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    Record rec;
    rec.line = line;
    std::string field;
    bool record_done = false;
    while (!record_done) {
      field.clear();
      if (i < n && text[i] == '"') {
        const std::size_t open_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++i;
        }
        if (!closed) {
          throw CsvError(fmt::format("{}:{}: a quoted field is never closed (opened here, {} field of the record)",
                                     source, open_line, rec.fields.size() + 1));
        }
        const bool at_end = i >= n || text[i] == ',' || text[i] == '\n' ||
                            (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') || (text[i] == '\r' && i + 1 == n);
        if (!at_end) {
          throw CsvError(fmt::format("{}:{}: text after a closing quote in field {} (a quote inside a quoted field "
                                     "is written \"\")",
                                     source, line, rec.fields.size() + 1));
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && (i + 1 == n || text[i + 1] == '\n'))) {
          if (text[i] == '"') {
            throw CsvError(fmt::format("{}:{}: a quote inside unquoted field {} (quote the whole field and write "
                                       "the quote as \"\")",
                                       source, line, rec.fields.size() + 1));
          }
          field += text[i];
          ++i;
        }
      }
      rec.fields.push_back(field);
      if (i >= n) {
        record_done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        if (text[i] == '\r') ++i;
        if (i < n && text[i] == '\n') ++i;
        ++line;
        record_done = true;
      }
    }
    records.push_back(std::move(rec));
  }
  return records;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which other tools write.
  if (text.front() == '+' && text.size() > 1 && text[1] != '-') text.remove_prefix(1);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ptr != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves the value untouched here; strtod gives what other readers give (infinity, or a tiny
    // number rounded toward zero).
    const std::string s(text);
    return std::strtod(s.c_str(), nullptr);
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

CsvDocument CsvDocument::parse(std::string_view text, std::string source) {
  CsvDocument doc;
  doc.source_ = std::move(source);
  std::vector<Record> records = parse_records(text, doc.source_);
  // A trailing blank line is the file's last newline, not a record.
  while (!records.empty() && records.back().fields.size() == 1 && records.back().fields[0].empty() &&
         records.size() > 1) {
    records.pop_back();
  }
  if (records.empty() || (records.size() == 1 && records[0].fields.size() == 1 && records[0].fields[0].empty())) {
    throw CsvError(fmt::format("{}:1: empty file: expected a header row", doc.source_));
  }
  doc.header_ = std::move(records[0].fields);
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].fields.size() != doc.header_.size()) {
      const std::size_t fields = records[r].fields.size();
      throw CsvError(fmt::format("{}:{}: row {} has {} field{}, the header has {}", doc.source_, records[r].line, r,
                                 fields, fields == 1 ? "" : "s", doc.header_.size()));
    }
    doc.rows_.push_back(std::move(records[r].fields));
    doc.row_lines_.push_back(records[r].line);
  }
  return doc;
}

CsvDocument CsvDocument::read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CsvError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw CsvError(fmt::format("{}: read failed", path.string()));
  return parse(ss.str(), path.string());
}

std::optional<std::size_t> CsvDocument::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> CsvDocument::find_column(std::initializer_list<std::string_view> names) const {
  for (std::string_view name : names) {
    if (auto c = find_column(name)) return c;
  }
  return std::nullopt;
}

std::optional<std::size_t> CsvDocument::find_column(const std::vector<std::string>& names) const {
  for (const auto& name : names) {
    if (auto c = find_column(name)) return c;
  }
  return std::nullopt;
}

std::size_t CsvDocument::column(std::string_view name) const {
  if (auto c = find_column(name)) return *c;
  throw CsvError(fmt::format("{}:1: no column '{}' (columns: {})", source_, name, quoted_list(header_)));
}

const std::string& CsvDocument::text(std::size_t row, std::size_t column) const {
  if (row >= rows_.size() || column >= header_.size()) {
    throw CsvError(fmt::format("{}: cell (row {}, column {}) is outside the table ({} rows, {} columns)", source_,
                               row + 1, column + 1, rows_.size(), header_.size()));
  }
  return rows_[row][column];
}

std::string CsvDocument::where(std::size_t row, std::size_t column) const {
  return fmt::format("{}:{}: row {}, column '{}'", source_, row_lines_[row], row + 1, header_[column]);
}

std::optional<double> CsvDocument::optional_number(std::size_t row, std::size_t column) const {
  const std::string& t = text(row, column);
  if (t.find_first_not_of(" \t") == std::string::npos) return std::nullopt;
  if (auto v = parse_number(t)) return v;
  throw CsvError(fmt::format("{}: expected a number, found '{}'", where(row, column), t));
}

double CsvDocument::number(std::size_t row, std::size_t column) const {
  if (auto v = optional_number(row, column)) return *v;
  throw CsvError(fmt::format("{}: expected a number, found an empty cell", where(row, column)));
}

std::vector<double> CsvDocument::numbers(std::size_t column) const {
  std::vector<double> out;
  out.reserve(rows_.size());
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out.push_back(optional_number(r, column).value_or(std::numeric_limits<double>::quiet_NaN()));
  }
  return out;
}

}  // namespace infercost
