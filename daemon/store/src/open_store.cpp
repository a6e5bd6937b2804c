#include "sterifleet/store/store.hpp"

namespace sterifleet::store {

std::unique_ptr<Store> open_store(const std::string& place, const SqliteOptions& sqlite,
                                  const PostgresOptions& postgresql) {
  if (place.starts_with("postgresql://") || place.starts_with("postgres://")) return open_postgresql(place, postgresql);
  return open_sqlite(place, sqlite);
}

}  // namespace sterifleet::store
