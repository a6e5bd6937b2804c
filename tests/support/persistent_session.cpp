#include "sterifleet/testing/persistent_session.hpp"

#include <stdexcept>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

void make_persistent_session(const Mosquitto& broker, const std::string& client_id,
                             const std::vector<std::string>& filters) {
  std::vector<std::string> argv{
      "mosquitto_sub", "-h", broker.host(), "-p", std::to_string(broker.port()), "-q", "1", "-c", "-E", "-i",
      client_id};
  for (const auto& filter : filters) {
    argv.push_back("-t");
    argv.push_back(filter);
  }
  if (const auto done = run_to_completion(argv); done.status != 0) {
    throw std::runtime_error("mosquitto_sub could not make the session " + client_id + ": " + done.output);
  }
}

}  // namespace sterifleet::testing
