# The event relay: its envelope and order check (pure), the bus's forwarding, and two relays on a real PostgreSQL.
add_executable(event_relay_tests ${CMAKE_CURRENT_LIST_DIR}/event_relay_test.cpp ${CMAKE_CURRENT_LIST_DIR}/relay_envelope_test.cpp)
target_link_libraries(event_relay_tests PRIVATE
  sterifleet::event_relay sterifleet::test_support Boost::headers PkgConfig::PQXX prometheus-cpp::core
  sterifleet::warnings GTest::gtest_main)
target_compile_definitions(event_relay_tests PRIVATE
  STERIFLEET_PG_SCHEMA_V1="${PROJECT_SOURCE_DIR}/daemon/store/postgresql/schema_v1.sql")
gtest_discover_tests(event_relay_tests DISCOVERY_TIMEOUT 30 PROPERTIES LABELS "unit;concurrency")
add_dependencies(unit_checks event_relay_tests)
