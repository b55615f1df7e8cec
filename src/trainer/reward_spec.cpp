#include <grpo/trainer/grpo_config.h>

#include <c10/util/Exception.h>

#include <sstream>

namespace grpo {

RewardSpec parse_reward_spec(const std::string& spec) {
  const size_t colon = spec.find(':');
  RewardSpec parsed{spec.substr(0, colon), {}};
  if (colon != std::string::npos) {
    std::stringstream list(spec.substr(colon + 1));
    std::string item;
    while (std::getline(list, item, ',')) {
      const size_t eq = item.find('=');
      TORCH_CHECK(eq != std::string::npos && eq > 0, "reward parameter must be key=value, got '", item, "' in '", spec,
                  "'");
      parsed.params[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return parsed;
}

}  // namespace grpo
