// Which API operations the signed-in token may call, read from the daemon's own OpenAPI description:
// every operation lists the roles it admits (x-roles) and whether it needs a token for every clinic
// (x-clinic-scope), and the daemon's tests hold both equal to its routes. A page or an action is offered
// exactly when the API behind it would answer, so the role matrix stays in the daemon: when a route
// admits another role there, the dashboard follows without a change here.
import type { Role } from "./api/types";
import { useIdentity } from "./identity";
import { Store, useStore } from "./store";

interface Operation {
  "x-roles"?: Role[];
  "x-clinic-scope"?: "scoped" | "all-clinics";
}

interface Description {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
}

const description = new Store<Description | null>(null);
const retryMs = 5000;
let loading = false;

// The description is public (no token) and the same for every token: loaded once, on first use.
function load(): void {
  if (loading || description.get()) return;
  loading = true;
  fetch("/api/v1/openapi.json")
    .then((r) => (r.ok ? (r.json() as Promise<Description>) : Promise.reject(new Error(r.statusText))))
    .then(
      (d) => description.set(d),
      () => {
        setTimeout(() => {
          loading = false;
          load();
        }, retryMs);
      },
    );
}

function useDescription(): Description | null {
  load();
  return useStore(description);
}

/**
 * Whether the signed-in token may call an operation: `may("GET", "/api/v1/quarantine/{id}")`, the path as
 * the description writes it. null until the daemon has said who the token is and what routes need.
 */
export function useAccess(): (method: string, path: string) => boolean | null {
  const me = useIdentity();
  const d = useDescription();
  return (method, path) => {
    if (!me || !d) return null;
    const operation = d.paths[path]?.[method.toLowerCase()];
    if (!operation?.["x-roles"]?.includes(me.role)) return false;
    return operation["x-clinic-scope"] !== "all-clinics" || me.clinics === null;
  };
}

/** useAccess for one operation. */
export function useAllowed(method: string, path: string): boolean | null {
  return useAccess()(method, path);
}

/** The roles a token can be given, as the API's token request lists them. */
export function useRoles(): Role[] {
  const roles = useDescription()?.components?.schemas?.TokenRequest?.properties?.role?.enum;
  return (roles ?? []) as Role[];
}
