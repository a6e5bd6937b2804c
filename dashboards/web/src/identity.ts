// Who the signed-in token is and what its role may do, asked of the daemon (GET /whoami) so the role
// matrix lives only there. Until the answer arrives the token is taken to hold no permission: an
// action appears only once the daemon has said it is allowed.
import { ApiError, api } from "./api/client";
import type { Permission, Whoami } from "./api/types";
import { Store, useStore } from "./store";

export const identity = new Store<Whoami | null>(null);

const retryMs = 5000;

/** Loads the signed-in token's identity, retrying while the daemon cannot be reached; returns the stop. */
export function watchIdentity(): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    try {
      const me = await api.get<Whoami>("/whoami");
      if (!stopped) identity.set(me);
    } catch (e) {
      // A 401 has signed out already; anything else may pass (the daemon restarting).
      if (!stopped && !(e instanceof ApiError && e.status === 401)) timer = setTimeout(load, retryMs);
    }
  };
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
    identity.set(null);
  };
}

export function useIdentity(): Whoami | null {
  return useStore(identity);
}

export function useCan(permission: Permission): boolean {
  return useIdentity()?.permissions.includes(permission) ?? false;
}
