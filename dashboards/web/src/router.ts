// Hash routes (#/devices/PEN-1): the daemon serves one index.html, and links work from any folder.
import { Store, useStore } from "./store";

export type Route =
  | { page: "fleet" }
  | { page: "alerts" }
  | { page: "alert"; id: string }
  | { page: "device"; id: string }
  | { page: "cartridges" }
  | { page: "recalls"; sterilizer?: string; cycle?: string }
  | { page: "compliance" }
  | { page: "reports" }
  | { page: "audit" }
  | { page: "quarantine"; id?: string }
  | { page: "tokens" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case "alerts":
      return parts[1] ? { page: "alert", id: parts[1] } : { page: "alerts" };
    case "devices":
      return parts[1] ? { page: "device", id: parts[1] } : { page: "fleet" };
    case "cartridges":
      return { page: "cartridges" };
    case "recalls":
      return { page: "recalls", sterilizer: parts[1], cycle: parts[2] };
    case "compliance":
      return { page: "compliance" };
    case "reports":
      return { page: "reports" };
    case "audit":
      return { page: "audit" };
    case "quarantine":
      return { page: "quarantine", id: parts[1] };
    case "tokens":
      return { page: "tokens" };
    default:
      return { page: "fleet" };
  }
}

export const href = {
  fleet: () => "#/fleet",
  alerts: () => "#/alerts",
  /** The alert's own page; notifications link here (daemon/notify/src/planner.cpp alert_url). */
  alert: (id: string) => `#/alerts/${encodeURIComponent(id)}`,
  device: (id: string) => `#/devices/${encodeURIComponent(id)}`,
  cartridges: () => "#/cartridges",
  recalls: () => "#/recalls",
  recall: (cycleKey: string) => `#/recalls/${cycleKey.split("/").map(encodeURIComponent).join("/")}`,
  compliance: () => "#/compliance",
  reports: () => "#/reports",
  audit: () => "#/audit",
  quarantine: () => "#/quarantine",
  /** A rejected message; a device.event_rejected alert's trigger names it ("quarantine:<id>"). */
  quarantined: (id: number | string) => `#/quarantine/${encodeURIComponent(String(id))}`,
  tokens: () => "#/tokens",
};

const route = new Store<Route>(parseRoute(location.hash));
window.addEventListener("hashchange", () => {
  route.set(parseRoute(location.hash));
  window.scrollTo(0, 0);
});

export function useRoute(): Route {
  return useStore(route);
}
