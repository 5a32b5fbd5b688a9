#include "tools/migrate/value_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace csops::migrate {
namespace {

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Status Refuse(std::string_view what, std::string_view pg_type) {
  return Status::InvalidArgument(std::string(what) + ", which the PostgreSQL column (" +
                                 std::string(pg_type) + ") cannot hold unchanged");
}

}  // namespace

ColumnKind KindOfPgType(std::string_view t) {
  if (t == "smallint" || t == "integer" || t == "bigint") return ColumnKind::kInteger;
  if (t == "double precision" || t == "real" || t == "numeric") return ColumnKind::kFloat;
  if (t == "boolean") return ColumnKind::kBoolean;
  if (t == "bytea") return ColumnKind::kBytes;
  return ColumnKind::kText;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Result<std::optional<std::string>> CopyText(const sqlite::Statement& row, int col, ColumnKind kind,
                                            std::string_view pg_type) {
  // Ask the storage class first: reading a value as another class converts it in place.
  switch (row.ColumnType(col)) {
    case sqlite::ValueType::kNull:
      return std::optional<std::string>();
    case sqlite::ValueType::kInteger: {
      const std::int64_t v = row.ColumnInt(col);
      if (kind == ColumnKind::kBytes)
        return Refuse("holds the integer " + std::to_string(v), pg_type);
      return std::optional<std::string>(std::to_string(v));
    }
    case sqlite::ValueType::kReal: {
      const double v = row.ColumnDouble(col);
      switch (kind) {
        case ColumnKind::kFloat:
          return std::optional<std::string>(FormatDouble(v));
        case ColumnKind::kInteger:
        case ColumnKind::kBoolean:
          // SQLite's INTEGER affinity stores whole REALs as integers: this one has a fraction
          // (or is out of range).
          if (std::trunc(v) == v && std::fabs(v) < 9.2e18)
            return std::optional<std::string>(std::to_string(static_cast<std::int64_t>(v)));
          return Refuse("holds the real number " + FormatDouble(v), pg_type);
        case ColumnKind::kBytes:
          return Refuse("holds the real number " + FormatDouble(v), pg_type);
        case ColumnKind::kText:
          return std::optional<std::string>(row.ColumnText(col));  // as SQLite spells it
      }
      break;
    }
    case sqlite::ValueType::kText: {
      std::string v = row.ColumnText(col);
      if (kind == ColumnKind::kBytes) return std::optional<std::string>(Hex(v));
      if (v.find('\0') != std::string::npos) return Refuse("holds text with a NUL byte", pg_type);
      return std::optional<std::string>(std::move(v));
    }
    case sqlite::ValueType::kBlob: {
      const std::string v = row.ColumnText(col);
      if (kind == ColumnKind::kBytes) return std::optional<std::string>(Hex(v));
      return Refuse("holds a BLOB of " + std::to_string(v.size()) + " bytes", pg_type);
    }
  }
  return Status::Internal("unknown SQLite storage class");
}

std::optional<std::string> Normalise(ColumnKind kind, std::optional<std::string> text) {
  if (!text) return text;
  const std::string& t = *text;
  switch (kind) {
    case ColumnKind::kInteger: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec == std::errc() && end == t.data() + t.size() && !t.empty()) return std::to_string(v);
      return text;
    }
    case ColumnKind::kFloat: {
      char* end = nullptr;
      const double v = std::strtod(t.c_str(), &end);
      if (!t.empty() && end == t.c_str() + t.size()) return FormatDouble(v);
      return text;
    }
    case ColumnKind::kBoolean:
      if (t == "t" || t == "true" || t == "1") return std::string("1");
      if (t == "f" || t == "false" || t == "0") return std::string("0");
      return text;
    case ColumnKind::kBytes: {
      std::string lower = t;
      for (char& c : lower)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      return lower;
    }
    case ColumnKind::kText:
      return text;
  }
  return text;
}

void RowHash::Add(const std::optional<std::string>& value) {
  if (!value) {
    Byte(0);
    return;
  }
  Byte(1);
  std::uint64_t n = value->size();
  for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(n >> (8 * i)));
  for (char c : *value) Byte(static_cast<unsigned char>(c));
}

}  // namespace csops::migrate
