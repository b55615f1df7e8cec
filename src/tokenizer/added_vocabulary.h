#pragma once
// The added vocabulary of tokenizer.json ("added_tokens"): tokens matched in the raw text
// before the normalizer (normalized = false, the default for special tokens) or in the
// normalized text (normalized = true), leftmost-longest, with single_word, lstrip and rstrip as
// `tokenizers`' AddedVocabulary.

#include "tokenizer/json_fields.h"
#include "tokenizer/normalizers.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace grpo::detail {

/// One entry of "added_tokens".
struct AddedToken {
  std::string content;  // as written in tokenizer.json
  std::string matched;  // the text matched: content, normalized for `normalized` tokens
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool special = false;
  bool normalized = false;
};

/// Calls on_piece(text, id) for a piece of the text: an added token (id >= 0) or the text
/// between added tokens (id -1).
using AddedPieceFn = std::function<void(std::string_view, int32_t)>;

/// Leftmost-longest matching of a set of added tokens (a byte trie).
class AddedTokenMatcher {
 public:
  void add(AddedToken token);

  /// Calls on_piece for the pieces of `text` in order: added tokens (with the whitespace their
  /// lstrip/rstrip take) and the text between them. Empty pieces are left out. Follows
  /// `tokenizers`' AddedVocabulary::find_matches.
  void split(std::string_view text, const AddedPieceFn& on_piece) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;
    int32_t token = -1;
  };

  int32_t find_child(int32_t node, unsigned char byte) const;
  int32_t add_child(int32_t node, unsigned char byte);

  std::vector<Node> nodes_ = std::vector<Node>(1);  // the root
  std::array<bool, 256> first_bytes_{};
  std::vector<AddedToken> tokens_;
};

class AddedVocabulary {
 public:
  /// The added tokens of `j` (null: none); tokens with empty content are skipped. `normalizer`
  /// gives the matched form of `normalized` tokens. `path` names tokenizer.json in errors.
  static AddedVocabulary from_json(const TokenizerJson& j, const std::string& path,
                                   const Normalizer& normalizer);

  /// The tokens in file order.
  const std::vector<AddedToken>& tokens() const { return tokens_; }

  /// Id of the added token with this content (the last one in the file wins).
  std::optional<int32_t> token_to_id(const std::string& content) const;

  /// Splits raw text on the tokens with normalized = false.
  void split_raw(std::string_view text, const AddedPieceFn& on_piece) const { raw_.split(text, on_piece); }

  /// Splits normalized text on the tokens with normalized = true.
  void split_normalized(std::string_view text, const AddedPieceFn& on_piece) const {
    normalized_.split(text, on_piece);
  }

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, int32_t> by_content_;
  AddedTokenMatcher raw_;
  AddedTokenMatcher normalized_;
};

}  // namespace grpo::detail
