# Live events across daemons through PostgreSQL LISTEN/NOTIFY: each daemon's EventBus gets the others'.
add_library(sterifleet_event_relay
  ${CMAKE_CURRENT_LIST_DIR}/src/event_listener.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/event_relay.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/event_sender.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/relay_envelope.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/relay_identity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/relay_metrics.cpp)
add_library(sterifleet::event_relay ALIAS sterifleet_event_relay)
target_include_directories(sterifleet_event_relay PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(sterifleet_event_relay
  PUBLIC sterifleet::fleet
  PRIVATE sterifleet::crypto Boost::headers PkgConfig::PQXX nlohmann_json::nlohmann_json prometheus-cpp::core
          spdlog::spdlog Threads::Threads sterifleet::warnings)
