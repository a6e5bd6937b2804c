// The frame of every screen: brand, navigation (a tab bar on tablets), live-connection state, who is
// signed in with which role, sign out.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { signOut } from "../auth";
import { useIdentity } from "../identity";
import { useFleet } from "../live/fleet";
import type { Route } from "../router";
import { href } from "../router";
import { ConnectionStatus } from "./ConnectionStatus";
import { Icon, type IconName } from "./Icon";
import { useStackedNav } from "./useStackedNav";
import { isWorkspacePage, useWorkspaceSection, workspaceLabel } from "./Workspace";

const sections: { page: Route["page"]; label: string; icon: IconName; to: string }[] = [
  { page: "fleet", label: "Fleet", icon: "grid", to: href.fleet() },
  { page: "alerts", label: "Alerts", icon: "bell", to: href.alerts() },
  { page: "cartridges", label: "Cartridges", icon: "cartridge", to: href.cartridges() },
  { page: "recalls", label: "Recalls", icon: "recall", to: href.recalls() },
  { page: "compliance", label: "Compliance", icon: "chart", to: href.compliance() },
];

export function Layout({ route, children }: { route: Route; children: ComponentChildren }) {
  const { alerts } = useFleet();
  const bar = useRef<HTMLElement>(null);
  const stacked = useStackedNav(bar);
  const me = useIdentity();
  // The auditor's pages are one section, shown to the roles the daemon admits to any of them.
  const workspace = useWorkspaceSection();
  const shown = workspace ? [...sections, workspace] : sections;
  const open = [...alerts.values()].filter((a) => a.state === "open").length;
  const current =
    route.page === "device"
      ? "fleet"
      : route.page === "alert"
        ? "alerts"
        : isWorkspacePage(route.page)
          ? workspace?.page
          : route.page;
  const title =
    route.page === "device" || route.page === "alert"
      ? route.id
      : isWorkspacePage(route.page)
        ? workspaceLabel(route.page)
        : sections.find((s) => s.page === current)?.label;

  // A manager keeps the dashboard in a tab: the open-alert count shows in the tab's title.
  useEffect(() => {
    document.title = `${open > 0 ? `(${open}) ` : ""}${title} · sterifleet`;
  }, [open, title]);
  return (
    <div class="shell">
      <header class={`topbar ${stacked ? "stacked" : ""}`} ref={bar}>
        <a class="brand" href={href.fleet()}>
          <span class="brand-mark" aria-hidden="true">
            <Icon name="check" size={16} />
          </span>
          sterifleet
        </a>
        <nav class="nav" aria-label="Sections">
          {shown.map((s) => (
            <a
              key={s.page}
              href={s.to}
              class={`nav-link ${current === s.page ? "current" : ""}`}
              aria-current={current === s.page ? "page" : undefined}
            >
              <Icon name={s.icon} />
              <span>{s.label}</span>
              {s.page === "alerts" && open > 0 && (
                <span class="count" aria-label={`${open} open`}>
                  {open}
                </span>
              )}
            </a>
          ))}
        </nav>
        <div class="topbar-end">
          <ConnectionStatus />
          {me && (
            <span
              class="identity"
              title={`Signed in as ${me.actor}, ${me.clinics ? `for ${me.clinics.join(", ")}` : "for every clinic"}`}
              data-role={me.role}
              data-clinics={me.clinics?.join(",") ?? ""}
            >
              <span class="hide-narrow">{me.name}</span>
              <span class="badge neutral">{me.role}</span>
              {me.clinics && <span class="badge neutral clinics">{me.clinics.join(", ")}</span>}
            </span>
          )}
          <button class="button ghost" onClick={() => signOut()} title="Sign out">
            <Icon name="signout" />
            <span class="hide-narrow">Sign out</span>
          </button>
        </div>
      </header>
      <main class="content">{children}</main>
    </div>
  );
}
