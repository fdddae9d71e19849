#include "infercost/io/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "infercost/io/errors.hpp"

namespace infercost {

void write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.string() + fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw OutputError(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    fs::remove(tmp, ec);
    throw OutputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw OutputError(fmt::format("{}: cannot rename into place: {}", path.string(), ec.message()));
  }
}

void append_csv_cell(std::string& out, const CsvCell& cell) {
  if (const auto* i = std::get_if<std::int64_t>(&cell)) {
    fmt::format_to(std::back_inserter(out), "{}", *i);
    return;
  }
  if (const auto* d = std::get_if<double>(&cell)) {
    if (!std::isnan(*d)) fmt::format_to(std::back_inserter(out), "{}", *d);
    return;
  }
  const std::string& s = std::get<std::string>(cell);
  if (s.find_first_of(",\"\n\r") == std::string::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string format_csv_cell(const CsvCell& cell) {
  std::string out;
  append_csv_cell(out, cell);
  return out;
}

void CsvTable::add_row(std::vector<CsvCell> row) {
  if (row.size() != header_.size()) {
    throw std::logic_error(fmt::format("CSV row has {} cells, header has {}", row.size(), header_.size()));
  }
  rows_.push_back(std::move(row));
}

std::string CsvTable::to_string() const {
  CsvText text(header_);
  for (const auto& row : rows_) text.add_row(row);
  return text.take();
}

CsvText::CsvText(const std::vector<std::string>& header) : columns_(header.size()) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (i) out_ += ',';
    append_csv_cell(out_, header[i]);
  }
  out_ += '\n';
}

void CsvText::add_row(std::span<const CsvCell> row) {
  if (row.size() != columns_) {
    throw std::logic_error(fmt::format("CSV row has {} cells, header has {}", row.size(), columns_));
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out_ += ',';
    append_csv_cell(out_, row[i]);
  }
  out_ += '\n';
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

}  // namespace infercost
