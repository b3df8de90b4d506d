// Catch2's main() for tracker_udp_config_tests and tracker_udp_unit_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
