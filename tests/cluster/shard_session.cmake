# A cluster's shard session (the ingest acknowledging after the commit) against a real Mosquitto and a
# Fleet on a real SQLite file: its clinics only, and nothing acknowledged that the store does not hold,
# checked by ending sessions (forked children) at chosen moments.
add_executable(shard_session_tests ${CMAKE_CURRENT_LIST_DIR}/shard_session_test.cpp)
target_include_directories(shard_session_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../ingest)
target_link_libraries(shard_session_tests PRIVATE
  sterifleet::ingest sterifleet::shard_map sterifleet::test_support sterifleet::warnings GTest::gtest_main)
gtest_discover_tests(shard_session_tests TEST_PREFIX "cluster." PROPERTIES LABELS integration TIMEOUT 120)
# Options read best with designated initializers; GCC 12 warns on every member they leave to its default.
target_compile_options(shard_session_tests PRIVATE -Wno-missing-field-initializers)
