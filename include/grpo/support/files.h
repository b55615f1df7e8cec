#pragma once
/// @file File operations of the library: atomic writes (a crash never leaves a half-written
/// file under the final name), directory creation and removal.
///
/// These use POSIX calls rather than std::filesystem operations: the LibTorch of the torch
/// wheel exports its own, partly broken, copies of std::filesystem functions (remove_all
/// crashes), which take precedence in any program that links it.

#include <functional>
#include <ostream>
#include <string>

namespace grpo {

/// Writes `path` atomically: `write` fills a temporary file beside it (`path` + ".tmp.<pid>"),
/// which is flushed to disk and then renamed over `path`. A crash or an exception from
/// `write` leaves the previous `path` (if any) untouched and removes the temporary file.
/// @throws c10::Error naming the file if it cannot be created, written, synced or renamed;
///         rethrows what `write` throws.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

/// Renames `from` over `to` after flushing `from` to disk (POSIX rename: atomic on one file
/// system), and syncs the directory. For files produced by a writer that takes a path (for
/// example torch::save).
/// @throws c10::Error naming both paths on failure.
void commit_file(const std::string& from, const std::string& to);

/// Creates `path` and any missing parents (mode 0755); an existing directory is fine.
/// @throws c10::Error naming the path if a component cannot be created or is not a directory.
void create_directories(const std::string& path);

/// Removes `path` and everything below it; a missing path is fine. Symbolic links are
/// removed, not followed.
/// @throws c10::Error naming the entry that cannot be removed.
void remove_tree(const std::string& path);

/// Appends `line` and a newline to `path` (metrics.jsonl, samples.jsonl), creating it. Appends
/// are line-sized, so a crash can at worst cut the last line, which JSON Lines readers skip.
/// @throws c10::Error naming the file if it cannot be opened or written.
void append_line(const std::string& path, const std::string& line);

/// Whether `path` exists (file, directory or anything else).
bool path_exists(const std::string& path);

}  // namespace grpo
