# People's actions queued for their shard's owner in PostgreSQL: executed once, in order, by the owner
# (writer Fleets as owners; a real ShardWorker woken by the queue's notification, with a real Mosquitto).
add_executable(api_commands_tests ${CMAKE_CURRENT_LIST_DIR}/api_commands_test.cpp)
target_link_libraries(api_commands_tests PRIVATE
  sterifleet::shard_runtime sterifleet::api_commands sterifleet::test_support PkgConfig::PQXX sterifleet::warnings
  GTest::gtest_main)
gtest_discover_tests(api_commands_tests TEST_PREFIX "cluster." DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS integration TIMEOUT 120)
# Options read best with designated initializers; GCC 12 warns on every member they leave to its default.
target_compile_options(api_commands_tests PRIVATE -Wno-missing-field-initializers)
