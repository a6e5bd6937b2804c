// The packaged sterifleetd, run from the unpacked package (build_package.sh) against a real Mosquitto:
// with no dashboard setting at all it serves the dashboard the package installed beside it, is ready,
// and answers the API.
#include <gtest/gtest.h>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"

namespace sterifleet::testing {
namespace {

const std::filesystem::path package_root = STERIFLEET_PACKAGE_ROOT;

TEST(InstalledDaemon, ServesTheInstalledDashboardAndTheApi_WithNoDashboardSetting) {
  Mosquitto broker;
  Daemon daemon({package_root / "usr/bin/sterifleetd", broker.url()});

  const auto page = daemon.get("/");
  EXPECT_EQ(page.status, 200) << page.body << page.error;
  EXPECT_NE(page.body.find("<title>sterifleet"), std::string::npos) << page.body.substr(0, 400);
  const auto deep_link = daemon.get("/devices/PEN-01");  // a page of the dashboard, answered with its index
  EXPECT_EQ(deep_link.status, 200);
  EXPECT_EQ(deep_link.body, page.body);

  EXPECT_EQ(daemon.get("/readyz").status, 200);
  const auto whoami = daemon.get_json("/api/v1/whoami");
  EXPECT_EQ(whoami.at("role"), "admin") << whoami.dump();
  EXPECT_EQ(daemon.get("/api/v1/clinics").status, 200);
  EXPECT_NE(daemon.log().find("dashboard from " + (package_root / "usr/share/sterifleet/dashboard").string()),
            std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace sterifleet::testing
