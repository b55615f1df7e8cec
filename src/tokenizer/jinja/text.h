#pragma once
// Python's str operations on UTF-8 text, by code point: split, strip, case, replace,
// splitlines, str.format and %-formatting.

#include "tokenizer/jinja/value.h"

#include <string>
#include <vector>

namespace grpo::detail::jinja {

/// str.split / str.rsplit; `sep` null splits on runs of whitespace.
std::vector<std::string> python_split(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right);
/// str.strip / lstrip / rstrip; `chars` null strips whitespace.
std::string python_strip(const std::string& s, const std::string* chars, bool left, bool right);
std::string upper(const std::string& s);
std::string lower(const std::string& s);
/// str.title(): a letter after a cased letter is lowered, any other letter raised.
std::string python_title(const std::string& s);
/// str.capitalize(): the first character raised, the rest lowered.
std::string capitalize(const std::string& s);
/// jinja2's title filter: words start after '-', whitespace, '(', '{', '[' or '<'.
std::string jinja_title(const std::string& s);
/// str.replace(old, new, count) (count < 0: all).
std::string python_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count);
/// str.splitlines(keepends).
std::vector<std::string> python_splitlines(const std::string& s, bool keepends);
/// str.format(*args, **kwargs) for {}, {0}, {name}, {name.attr}, {{ }}, !r/!s and simple specs.
std::string brace_format(const std::string& s, const Args& args);
/// str % args for %s %r %d %i %f %x %% with flags, width and precision.
std::string percent_format(const std::string& s, const Value& args);
/// str.center / ljust / rjust (how: 'c', 'l', 'r').
std::string pad(const std::string& s, int64_t width, const std::string& fill, char how);

}  // namespace grpo::detail::jinja
