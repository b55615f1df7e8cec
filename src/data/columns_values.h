#pragma once
// The parsed values behind grpo::Columns (internal: the JSON library stays out of public headers).

#include <grpo/data/columns.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace grpo {

struct Columns::Values {
  std::map<std::string, nlohmann::json> by_name;
};

}  // namespace grpo
