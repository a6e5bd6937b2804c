# People's actions from any daemon's API carried to their shard's owner (api_commands.hpp): needs the
# fleet, which runs them.
add_library(sterifleet_api_commands
  ${CMAKE_CURRENT_LIST_DIR}/src/command_inbox.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/command_queue.cpp)
add_library(sterifleet::api_commands ALIAS sterifleet_api_commands)
target_include_directories(sterifleet_api_commands PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(sterifleet_api_commands
  PUBLIC sterifleet::fleet sterifleet::cluster
  PRIVATE PkgConfig::PQXX nlohmann_json::nlohmann_json sterifleet::warnings)
