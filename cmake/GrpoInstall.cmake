# Install rules: headers, the library, the exported targets grpo::grpo and a package
# config so that consumers write find_package(grpo REQUIRED).
include(CMakePackageConfigHelpers)

install(TARGETS grpo grpo_log grpo_tensorboard EXPORT grpoTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/grpo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/grpo/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/grpo)

set(GRPO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/grpo)
install(EXPORT grpoTargets NAMESPACE grpo:: DESTINATION ${GRPO_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/grpoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/grpoConfig.cmake INSTALL_DESTINATION ${GRPO_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/grpoConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/grpoConfig.cmake ${PROJECT_BINARY_DIR}/grpoConfigVersion.cmake
  DESTINATION ${GRPO_CMAKE_DIR})
