#pragma once
/// @file Columns: the non-prompt columns of a dataset row, parsed once when the row is read and
/// shared, unparsed never again, by every completion sampled for it and every reward that reads it.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace grpo {

/// A dataset row's columns by name (for example `target`, `nums`, `solution`), each a parsed JSON
/// value. Copies share the parsed values (copying is a pointer copy), so the G completions of a
/// prompt and all rewards that score them read one parse. Immutable but for set(), which copies
/// on write; safe to read from several threads.
class Columns {
 public:
  /// No columns.
  Columns();
  /// Columns from name -> JSON text, for example `{{"target", "24"}, {"solution", "\"1/2\""}}`.
  /// @throws c10::Error naming the column and its text if a text is not valid JSON.
  Columns(std::initializer_list<std::pair<const std::string, std::string>> json_texts);
  /// As the initializer-list constructor, from a map.
  /// @throws c10::Error naming the column and its text if a text is not valid JSON.
  static Columns from_json_texts(const std::map<std::string, std::string>& json_texts);

  /// Whether the row has column `name`.
  bool has(const std::string& name) const;
  /// Number of columns.
  int64_t size() const;
  bool empty() const { return size() == 0; }
  /// The column names, sorted.
  std::vector<std::string> names() const;

  /// Column `name` as compact JSON text (`[3,5]`, `8`, `"a\"b"`).
  /// @throws c10::Error naming the column if it is missing.
  std::string at(const std::string& name) const;
  /// Column `name` as text: a JSON string unquoted and unescaped; any other value as its JSON text.
  /// @throws c10::Error naming the column if it is missing.
  std::string string(const std::string& name) const;
  /// Column `name` as a number: a JSON number, or a JSON string holding a decimal number.
  /// @throws c10::Error naming the column and its text if it is missing or not a number.
  double number(const std::string& name) const;
  /// Column `name` as a list of numbers: a JSON array of numbers (or strings holding numbers).
  /// @throws c10::Error naming the column and its text if it is missing or not such an array.
  std::vector<double> numbers(const std::string& name) const;

  /// Sets column `name` to the value of `json_text` (copy on write: other copies keep theirs).
  /// @throws c10::Error naming the column and its text if the text is not valid JSON.
  void set(const std::string& name, const std::string& json_text);

  bool operator==(const Columns& other) const;
  bool operator!=(const Columns& other) const { return !(*this == other); }

  struct Values;  ///< the parsed values (defined where JSON is available)
  /// The parsed values, for the library's readers and writers of JSON.
  const Values& values() const { return *values_; }
  /// Columns holding `values`.
  explicit Columns(std::shared_ptr<const Values> values);

 private:
  std::shared_ptr<const Values> values_;
};

}  // namespace grpo
