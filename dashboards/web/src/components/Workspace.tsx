// The auditor's workspace (reports, audit trail, quarantine, tokens) is one section of the top bar, so the
// bar stays one row on a desktop; its pages are tabs below the title. Each tab shows only when the daemon
// admits the token to the route the page reads (access.ts); a role with one of them sees that one by name.
import { useAccess } from "../access";
import type { Route } from "../router";
import { href } from "../router";
import { Icon, type IconName } from "./Icon";

export type WorkspacePage = "reports" | "audit" | "quarantine" | "tokens";

const pages: { page: WorkspacePage; label: string; icon: IconName; to: string; api: string }[] = [
  { page: "reports", label: "Reports", icon: "report", to: href.reports(), api: "/api/v1/reports/compliance" },
  { page: "audit", label: "Audit trail", icon: "shield", to: href.audit(), api: "/api/v1/audit" },
  { page: "quarantine", label: "Quarantine", icon: "quarantine", to: href.quarantine(), api: "/api/v1/quarantine" },
  { page: "tokens", label: "Tokens", icon: "key", to: href.tokens(), api: "/api/v1/tokens" },
];

export function isWorkspacePage(page: Route["page"]): page is WorkspacePage {
  return pages.some((p) => p.page === page);
}

export function workspaceLabel(page: WorkspacePage): string {
  return pages.find((p) => p.page === page)?.label ?? page;
}

/** The workspace's pages this token may open, in order. */
export function useWorkspace() {
  const may = useAccess();
  return pages.filter((p) => may("GET", p.api));
}

/** The top bar's entry for the workspace: null when the token may open none of its pages. */
export function useWorkspaceSection(): { page: WorkspacePage; label: string; icon: IconName; to: string } | null {
  const open = useWorkspace();
  if (open.length === 0) return null;
  return open.length === 1 ? open[0] : { page: open[0].page, label: "Audit", icon: "shield", to: open[0].to };
}

export function WorkspaceTabs({ current }: { current: WorkspacePage }) {
  const open = useWorkspace();
  if (open.length < 2) return null;
  return (
    <nav class="workspace-tabs" aria-label="Audit workspace">
      {open.map((p) => (
        <a
          key={p.page}
          href={p.to}
          class={`workspace-tab ${p.page === current ? "current" : ""}`}
          aria-current={p.page === current ? "page" : undefined}
          data-tab={p.page}
        >
          <Icon name={p.icon} />
          {p.label}
        </a>
      ))}
    </nav>
  );
}
