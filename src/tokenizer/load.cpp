#include <grpo/tokenizer/load.h>

#include <grpo/support/files.h>
#include <grpo/tokenizer/bpe_tokenizer.h>
#include <grpo/tokenizer/char_tokenizer.h>

#include <c10/util/Exception.h>

namespace grpo {

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& directory) {
  if (path_exists(directory + "/tokenizer.json")) {
    return std::make_shared<BpeTokenizer>(BpeTokenizer::from_directory(directory));
  }
  if (path_exists(directory + "/char_tokenizer.json")) {
    return std::make_shared<CharTokenizer>(CharTokenizer::from_file(directory + "/char_tokenizer.json"));
  }
  TORCH_CHECK(false, "'", directory, "' has no tokenizer: neither tokenizer.json nor char_tokenizer.json");
}

}  // namespace grpo
