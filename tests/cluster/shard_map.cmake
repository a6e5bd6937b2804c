add_executable(shard_map_tests ${CMAKE_CURRENT_LIST_DIR}/shard_map_test.cpp)
target_link_libraries(shard_map_tests PRIVATE sterifleet::shard_map sterifleet::warnings GTest::gtest_main)
gtest_discover_tests(shard_map_tests PROPERTIES LABELS unit)
add_dependencies(unit_checks shard_map_tests)
