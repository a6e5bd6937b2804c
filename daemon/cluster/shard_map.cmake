# The shard map of the cluster: which virtual shard each clinic belongs to, and what a shard's MQTT
# session subscribes to. Pure: it needs the protocol's ids and topics, nothing else.
add_library(sterifleet_shard_map ${CMAKE_CURRENT_LIST_DIR}/src/shard_map.cpp)
add_library(sterifleet::shard_map ALIAS sterifleet_shard_map)
target_include_directories(sterifleet_shard_map PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(sterifleet_shard_map PUBLIC sterifleet::protocol PRIVATE sterifleet::warnings)
