# grpo_set_warnings(<target>): warnings on for our own code, errors when
# GRPO_WARNINGS_AS_ERRORS is set (CI sets it). Never touches CMAKE_CXX_FLAGS.
function(grpo_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(GRPO_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${GRPO_WARNINGS_AS_ERRORS}>:/WX>)
  endif()
endfunction()

# grpo_use_torch_pch(<target>): precompiled LibTorch header for a program. It reuses the
# static library's; a shared library is built with -fPIC, which programs cannot share.
function(grpo_use_torch_pch target)
  if(NOT GRPO_PRECOMPILED_HEADERS)
    return()
  endif()
  get_target_property(type grpo TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_precompile_headers(${target} REUSE_FROM grpo)
  else()
    target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  endif()
endfunction()
