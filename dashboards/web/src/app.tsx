// Signed out: the sign-in screen. Signed in: one live connection and the identity (role) of the token,
// and the routed page.
import { useEffect } from "preact/hooks";
import { auth } from "./auth";
import { Layout } from "./components/Layout";
import { watchIdentity } from "./identity";
import { LiveConnection } from "./live/fleet";
import { AlertPage } from "./pages/AlertPage";
import { Alerts } from "./pages/Alerts";
import { Audit } from "./pages/Audit";
import { Cartridges } from "./pages/Cartridges";
import { Compliance } from "./pages/Compliance";
import { DevicePage } from "./pages/Device";
import { Fleet } from "./pages/Fleet";
import { Quarantine } from "./pages/Quarantine";
import { Recalls } from "./pages/Recalls";
import { Reports } from "./pages/Reports";
import { SignIn } from "./pages/SignIn";
import { Tokens } from "./pages/Tokens";
import { type Route, useRoute } from "./router";
import { useStore } from "./store";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "fleet":
      return <Fleet />;
    case "alerts":
      return <Alerts />;
    case "alert":
      return <AlertPage key={route.id} id={route.id} />;
    case "device":
      return <DevicePage key={route.id} id={route.id} />;
    case "cartridges":
      return <Cartridges />;
    case "recalls":
      return <Recalls sterilizer={route.sterilizer} cycle={route.cycle} />;
    case "compliance":
      return <Compliance />;
    case "reports":
      return <Reports />;
    case "audit":
      return <Audit />;
    case "quarantine":
      return <Quarantine key={route.id} id={route.id} />;
    case "tokens":
      return <Tokens />;
  }
}

export function App() {
  const { token, notice } = useStore(auth);
  const route = useRoute();

  useEffect(() => {
    if (!token) return;
    const live = new LiveConnection(token);
    live.start();
    const stopIdentity = watchIdentity();
    return () => {
      live.stop();
      stopIdentity();
    };
  }, [token]);

  if (!token) return <SignIn notice={notice} />;
  return (
    <Layout route={route}>
      <Page route={route} />
    </Layout>
  );
}
