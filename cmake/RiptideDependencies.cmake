# Every dependency is a Debian 12 package (scripts/install-deps.sh installs them).
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(toml11 3.7 REQUIRED CONFIG)
find_package(CLI11 2.1 REQUIRED CONFIG)

# moodycamel ConcurrentQueue (libconcurrentqueue-dev) is header-only and ships no CMake config.
find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/blockingconcurrentqueue.h REQUIRED)
add_library(riptide_concurrentqueue INTERFACE)
target_include_directories(riptide_concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})

if(RIPTIDE_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED CONFIG)
  include(Catch)
endif()
