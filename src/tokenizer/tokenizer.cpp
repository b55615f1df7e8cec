#include <grpo/tokenizer/tokenizer.h>

#include <c10/util/Exception.h>

namespace grpo {

void Tokenizer::save(const std::string& directory) const {
  TORCH_CHECK(false, "this tokenizer cannot be saved (it has no files), so '", directory,
              "' cannot receive it; implement Tokenizer::save in the tokenizer class");
}

}  // namespace grpo
