# Every daemon's read-only replicas of a cluster's shards (app::ShardReplicas) against a real PostgreSQL,
# written by the shards' writers as a ShardWorker runs them.
add_executable(shard_replicas_tests ${CMAKE_CURRENT_LIST_DIR}/shard_replicas_test.cpp)
target_link_libraries(shard_replicas_tests PRIVATE
  sterifleet::shard_runtime sterifleet::test_support PkgConfig::PQXX sterifleet::warnings GTest::gtest_main)
gtest_discover_tests(shard_replicas_tests TEST_PREFIX "cluster." DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS integration TIMEOUT 120)
# Options read best with designated initializers; GCC 12 warns on every member they leave to its default.
target_compile_options(shard_replicas_tests PRIVATE -Wno-missing-field-initializers)
