// Compiled without LibTorch's include directories (see src/CMakeLists.txt): LibTorch ships
// fmt 12 headers, which would shadow the fmt that spdlog is built against.
#include <grpo/support/log.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace grpo::log {
namespace {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto existing = spdlog::get("grpo");
    if (existing) return existing;
    auto created = spdlog::stderr_color_mt("grpo");
    created->set_pattern("[%H:%M:%S] %^%l%$ %v");
    return created;
  }();
  return *instance;
}

}  // namespace

void info(const std::string& message) { logger().info(message); }
void warn(const std::string& message) { logger().warn(message); }

void set_level(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  // from_str answers `off` for any unknown name.
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("log level must be trace, debug, info, warn, error or off, got '" + level + "'");
  }
  logger().set_level(parsed);
}

}  // namespace grpo::log
