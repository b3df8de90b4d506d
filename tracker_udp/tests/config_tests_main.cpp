// Catch2's main() for tracker_udp_config_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
