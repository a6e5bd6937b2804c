# The shard runtime: a cluster node running the shards it leases (ShardWorker, ClusterNode) against a
# real PostgreSQL and a real Mosquitto: one node storing like the single daemon, a SIGKILLed node's
# shards taken over with nothing lost or doubled, a zombie worker fenced out, the lobby hearing new clinics.
add_executable(cluster_node_process ${CMAKE_CURRENT_LIST_DIR}/cluster_node_process.cpp)
target_link_libraries(cluster_node_process PRIVATE sterifleet::shard_runtime spdlog::spdlog sterifleet::warnings)
add_executable(shard_runtime_tests ${CMAKE_CURRENT_LIST_DIR}/shard_runtime_test.cpp ${CMAKE_CURRENT_LIST_DIR}/lobby_test.cpp)
target_link_libraries(shard_runtime_tests PRIVATE
  sterifleet::shard_runtime sterifleet::test_support PkgConfig::PQXX sterifleet::warnings GTest::gtest_main)
target_compile_definitions(shard_runtime_tests PRIVATE CLUSTER_NODE_PROCESS="$<TARGET_FILE:cluster_node_process>")
add_dependencies(shard_runtime_tests cluster_node_process)
gtest_discover_tests(shard_runtime_tests TEST_PREFIX "cluster." DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS integration TIMEOUT 120)
# Options read best with designated initializers; GCC 12 warns on every member they leave to its default.
target_compile_options(cluster_node_process PRIVATE -Wno-missing-field-initializers)
target_compile_options(shard_runtime_tests PRIVATE -Wno-missing-field-initializers)
# Each shard's notifications delivered by its owner, once, to a real webhook listener; the API's
# receiver actions in a cluster.
add_executable(shard_notify_tests ${CMAKE_CURRENT_LIST_DIR}/shard_notify_test.cpp)
target_link_libraries(shard_notify_tests PRIVATE
  sterifleet::shard_runtime notify_http_receiver sterifleet::test_support PkgConfig::PQXX sterifleet::warnings
  GTest::gtest_main)
gtest_discover_tests(shard_notify_tests TEST_PREFIX "cluster." DISCOVERY_TIMEOUT 30
                     PROPERTIES LABELS integration TIMEOUT 120)
target_compile_options(shard_notify_tests PRIVATE -Wno-missing-field-initializers)
