// Calls the sterifleet API with the signed-in token. Errors carry the API's stable code and message;
// a 401 signs the dashboard out (the token was revoked or is unknown).
import { auth, signOut } from "../auth";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, token = auth.get().token): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The daemon cannot be reached. Check the connection and try again.");
  }
  const text = await response.text();
  const json = text ? safeParse(text) : null;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const apiError = new ApiError(
      response.status,
      error?.code ?? "http_" + response.status,
      error?.message ?? response.statusText,
    );
    if (response.status === 401 && token === auth.get().token) {
      signOut("The daemon no longer accepts this token (revoked or unknown). Sign in with a valid token.");
    }
    throw apiError;
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", withQuery(path, query)),
  post: <T>(path: string, body: unknown) => request<T>("POST", path, body),
  /** Checks a token before it is stored: no sign-out on failure. */
  probe: (token: string) => request<unknown>("GET", "/clinics", undefined, token),
};

/** Follows `next` cursors; `limit` caps the rows fetched so a long period cannot stall the page. */
export async function getAll<T>(path: string, query: Query, limit: number): Promise<T[]> {
  const rows: T[] = [];
  let after: string | null = null;
  do {
    const page: { items: T[]; next: string | null } = await api.get(path, { ...query, after, limit: 1000 });
    rows.push(...page.items);
    after = page.next;
  } while (after && rows.length < limit);
  return rows;
}
