#pragma once
// The range checks of the configs' validate(): one message shape, "<Config>: <field> must be
// <rule>, got <value>".

#include <c10/util/Exception.h>

#include <initializer_list>
#include <string>

namespace grpo::detail {

struct FieldCheck {
  const char* config;
  template <typename T>
  void operator()(bool ok, const char* field, const T& value, const char* rule) const {
    TORCH_CHECK(ok, config, ": ", field, " must be ", rule, ", got ", value);
  }
};

inline bool one_of(const std::string& value, std::initializer_list<const char*> options) {
  for (const char* option : options) {
    if (value == option) return true;
  }
  return false;
}

}  // namespace grpo::detail
