#include "relay_identity.hpp"

#include <pqxx/pqxx>

namespace sterifleet::cluster {

void name_session(pqxx::connection_base& connection, const RelayIdentity& me, const char* direction) {
  pqxx::nontransaction tx(connection);
  tx.exec_params("SELECT set_config('application_name', $1, false)",
                 "sterifleetd " + me.daemon + " events " + direction);
}

}  // namespace sterifleet::cluster
