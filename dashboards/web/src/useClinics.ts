// The ids of the clinics this token may read (GET /api/v1/clinics), for the pages' clinic pickers.
import { api } from "./api/client";
import type { Clinic } from "./api/types";
import { useLoad } from "./useLoad";

/** undefined until the daemon answers */
export function useClinics(): string[] | undefined {
  const { data } = useLoad(() => api.get<{ items: Clinic[] }>("/clinics"), []);
  return data?.items.map((c) => c.id);
}
