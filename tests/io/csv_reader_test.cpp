// The CSV reader: RFC 4180 parsing, round trips with CsvTable, and errors that say where.
#include <catch2/catch.hpp>

#include <cmath>

#include "../test_support.hpp"
#include "infercost/io/csv_reader.hpp"
#include "infercost/io/output.hpp"

using namespace infercost;
using Catch::Matchers::Contains;

namespace {

std::string error_of(const std::string& text) {
  try {
    CsvDocument::parse(text, "t.csv");
  } catch (const CsvError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("plain CSV: header lookup, text and numbers", "[io][csv]") {
  const auto doc = CsvDocument::parse("name,power_w,share\nA,700,0.25\nB,1.5e3,\n", "t.csv");
  REQUIRE(doc.rows() == 2);
  REQUIRE(doc.columns() == 3);
  CHECK(doc.header() == std::vector<std::string>{"name", "power_w", "share"});
  CHECK(doc.column("power_w") == 1);
  CHECK_FALSE(doc.find_column("energy_j"));
  CHECK(doc.find_column({"energy_j", "share", "power_w"}) == std::optional<std::size_t>(2));
  CHECK(doc.text(1, 0) == "B");
  CHECK(doc.number(0, 1) == 700);
  CHECK(doc.number(1, 1) == 1500);
  CHECK(doc.optional_number(0, 2) == std::optional<double>(0.25));
  CHECK_FALSE(doc.optional_number(1, 2));
  const auto col = doc.numbers(2);
  CHECK(col[0] == 0.25);
  CHECK(std::isnan(col[1]));
}

TEST_CASE("quoted fields hold commas, doubled quotes and newlines; CRLF and a BOM are accepted", "[io][csv]") {
  const std::string text =
      "\xEF\xBB\xBFplan,note\r\n"
      "\"Pro, annual\",\"say \"\"hi\"\"\"\r\n"
      "free,\"two\nlines\"\r\n"
      "\"\",last\r\n";
  const auto doc = CsvDocument::parse(text, "t.csv");
  REQUIRE(doc.rows() == 3);
  CHECK(doc.header()[0] == "plan");
  CHECK(doc.text(0, 0) == "Pro, annual");
  CHECK(doc.text(0, 1) == "say \"hi\"");
  CHECK(doc.text(1, 1) == "two\nlines");
  CHECK(doc.text(2, 0).empty());
  CHECK(doc.line_of_row(0) == 2);
  CHECK(doc.line_of_row(1) == 3);
  CHECK(doc.line_of_row(2) == 5);  // the quoted newline moved it down a line
}

TEST_CASE("a file without a final newline, a header-only file, and trailing blank lines", "[io][csv]") {
  CHECK(CsvDocument::parse("a,b\n1,2", "t.csv").rows() == 1);
  CHECK(CsvDocument::parse("a,b\n", "t.csv").rows() == 0);
  CHECK(CsvDocument::parse("a,b\n1,2\n\n\n", "t.csv").rows() == 1);
  CHECK(CsvDocument::parse("a,b\n,\n", "t.csv").text(0, 1).empty());
}

TEST_CASE("what CsvTable writes, CsvDocument reads back exactly", "[io][csv]") {
  CsvTable t({"id", "label", "value_usd"});
  t.add_row({std::int64_t{1}, std::string("a,b"), 0.1});
  t.add_row({std::int64_t{2}, std::string("quote \" and\nnewline"), 1e-300});
  t.add_row({std::int64_t{3}, std::string(""), std::nan("")});
  t.add_row({std::int64_t{4}, std::string("x"), 123456789.125});
  const auto doc = CsvDocument::parse(t.to_string(), "t.csv");
  REQUIRE(doc.rows() == 4);
  CHECK(doc.text(0, 1) == "a,b");
  CHECK(doc.text(1, 1) == "quote \" and\nnewline");
  CHECK(doc.number(0, 2) == 0.1);
  CHECK(doc.number(1, 2) == 1e-300);
  CHECK_FALSE(doc.optional_number(2, 2));
  CHECK(doc.number(3, 2) == 123456789.125);
  CHECK(doc.number(3, 0) == 4);
  // Text written row by row is the same bytes; a row of the wrong width is refused.
  CsvText text(t.header());
  for (const auto& row : t.data()) text.add_row(row);
  CHECK(text.text() == t.to_string());
  CHECK(text.text().rfind("id,label,value_usd\n1,\"a,b\",0.1\n", 0) == 0);
  const std::vector<CsvCell> short_row{std::int64_t{5}};
  CHECK_THROWS_AS(text.add_row(short_row), std::logic_error);
}

TEST_CASE("numbers: signs, exponents, blanks, inf; junk is refused", "[io][csv]") {
  CHECK(parse_number("-2.5e-3") == std::optional<double>(-2.5e-3));
  CHECK(parse_number("+4") == std::optional<double>(4));
  CHECK(parse_number(" 7 ") == std::optional<double>(7));
  CHECK(std::isinf(*parse_number("inf")));
  CHECK(std::isinf(*parse_number("1e999")));
  CHECK(*parse_number("1e-999") == 0);
  CHECK_FALSE(parse_number(""));
  CHECK_FALSE(parse_number("12kW"));
  CHECK_FALSE(parse_number("1,5"));
  CHECK_FALSE(parse_number("0x10"));
  CHECK_FALSE(parse_number("+-1"));
}

TEST_CASE("errors name the file, line, row and column", "[io][csv]") {
  const auto doc = CsvDocument::parse("user_id,cost_usd\nu1,0.5\n\"u\n2\",abc\nu3,\n", "users.csv");
  try {
    doc.number(1, 1);
    FAIL("expected a CsvError");
  } catch (const CsvError& e) {
    CHECK(std::string(e.what()) == "users.csv:3: row 2, column 'cost_usd': expected a number, found 'abc'");
    CHECK(e.exit_code() == 2);
  }
  CHECK_THROWS_WITH(doc.number(2, 1), "users.csv:5: row 3, column 'cost_usd': expected a number, found an empty cell");
  CHECK_THROWS_WITH(doc.numbers(1), Contains("row 2, column 'cost_usd'"));
  CHECK_THROWS_WITH(doc.column("margin_usd"), "users.csv:1: no column 'margin_usd' (columns: user_id, cost_usd)");
  CHECK_THROWS_AS(doc.text(3, 0), CsvError);

  CHECK(error_of("a,b\n1,2,3\n") == "t.csv:2: row 1 has 3 fields, the header has 2");
  CHECK(error_of("a,b\n1\n") == "t.csv:2: row 1 has 1 field, the header has 2");
  CHECK_THAT(error_of("a,b\n1,\"open\n"), Contains("t.csv:2: a quoted field is never closed"));
  CHECK_THAT(error_of("a,b\n1,\"x\"y\n"), Contains("t.csv:2: text after a closing quote in field 2"));
  CHECK_THAT(error_of("a,b\n1,x\"y\n"), Contains("t.csv:2: a quote inside unquoted field 2"));
  CHECK_THAT(error_of(""), Contains("t.csv:1: empty file"));
}

TEST_CASE("reading a file that is not there names it", "[io][csv]") {
  const auto dir = test::temp_dir("csv-reader");
  CHECK_THROWS_WITH(CsvDocument::read(dir / "nope.csv"), Contains("nope.csv: cannot open"));
  const std::string text = "x,y\n1,2\n";
  write_file_atomic(dir / "ok.csv", text);
  const auto doc = CsvDocument::read(dir / "ok.csv");
  CHECK(doc.source() == (dir / "ok.csv").string());
  CHECK(doc.number(0, 1) == 2);
}
