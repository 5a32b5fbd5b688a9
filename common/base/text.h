// Free text in requests, and values echoed back in messages and logs.
//
// Every service checks its text fields with CheckText: valid UTF-8, a length counted in
// characters (Unicode code points, what the API documents), and no control characters (C0,
// DEL, C1; a multi-line field may hold tab, LF and CR LF). Idempotency keys of every API are
// checked by CheckIdempotencyKey. A value that goes back into an error message or a log line
// passes through Quote (messages) or EscapeText (the log writer), so a terminal, a log viewer or
// a client that prints the message never interprets what a caller sent.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops {

// The number of code points in `text`, or nullopt when it is not valid UTF-8 (overlong forms,
// UTF-16 surrogates, code points above U+10FFFF and cut sequences are invalid).
std::optional<std::size_t> CountCodePoints(std::string_view text);

enum class Lines {
  kSingle,  // names, codes, ids: no control character at all
  kMulti,   // notes, summaries, reasons: tab, LF and CR LF allowed
};

struct TextLimit {
  // Empty text is refused ("must not be empty") when true.
  bool required = false;
  // The most characters (code points). Text over 4 bytes per character (more than any valid
  // UTF-8 of that length) is refused before it is decoded: a guard against abuse only.
  std::size_t max_chars = 0;
  Lines lines = Lines::kSingle;
};

// OK, or kInvalidArgument naming `field`, e.g.
//   "applicant.name: must not be empty"
//   "applicant.name: 101 characters; the limit is 100"
//   "summary: control character U+001B (character 3) is not allowed"
//   "note: not valid UTF-8 (byte 0xff at offset 3)"
Status CheckText(std::string_view field, std::string_view text, TextLimit limit);

// 1-128 printable ASCII characters without spaces (0x21-0x7E), the convention of
// proto/csops/type/v1/types.proto; kInvalidArgument naming `field` otherwise.
inline constexpr std::size_t kMaxIdempotencyKey = 128;
Status CheckIdempotencyKey(std::string_view field, std::string_view key);

// `value` ready to be put in a message: in single quotes; backslash and quote escaped; control
// characters, bidirectional-override characters and bytes that are not valid UTF-8 written as
// \n, \t, \xNN or \uNNNN; cut after `max_chars` code points with "..." after the closing quote.
//   Quote("A023") == "'A023'"    Quote("\x1b[2J") == "'\\x1b[2J'"
std::string Quote(std::string_view value, std::size_t max_chars = 64);

// The escaping of Quote without the quotes and the cut, for the log writer: backslash and, when
// given, `quote` get a backslash; other printable text, non-ASCII included, is unchanged.
std::string EscapeText(std::string_view value, char quote = 0);

// Only the control characters, bidirectional overrides and invalid bytes of `text` escaped
// (backslashes stay as they are): the last guard of a finished message, whose echoed values
// Quote has escaped already.
std::string EscapeControls(std::string_view text);

// At most `max_chars` code points of `text`, never cutting a character (a byte that is not
// UTF-8 counts as one).
std::string TruncateChars(std::string_view text, std::size_t max_chars);

// True when EscapeText(value) would change it.
bool NeedsEscape(std::string_view value);

}  // namespace csops
