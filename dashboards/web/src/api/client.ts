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

/** The API's answer when it is a success; otherwise throws its error (a 401 signs out first). */
async function call(
  method: string,
  path: string,
  body?: { data: BodyInit; type: string },
  token = auth.get().token,
  accept = "application/json",
): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = body.type;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body?.data });
  } catch {
    throw new ApiError(0, "network", "The daemon cannot be reached. Check the connection and try again.");
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    const error = (safeParse(text) as { error?: { code?: string; message?: string } } | null)?.error;
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
  return response;
}

async function request<T>(method: string, path: string, body?: unknown, token = auth.get().token): Promise<T> {
  const json = body === undefined ? undefined : { data: JSON.stringify(body), type: "application/json" };
  const text = await (await call(method, path, json, token)).text();
  return (text ? safeParse(text) : null) as T;
}

/** A file the API made (a report, a recall export): its bytes, the name it suggests and its headers. */
export interface ApiFile {
  blob: Blob;
  name: string;
  headers: Headers;
}

async function file(path: string, fallbackName: string): Promise<ApiFile> {
  const response = await call("GET", path, undefined, auth.get().token, "*/*");
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  return { blob: await response.blob(), name, headers: response.headers };
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
  delete: <T>(path: string) => request<T>("DELETE", path),
  /** Downloads a file the API makes; `fallbackName` when it names none. */
  file: (path: string, query: Query, fallbackName: string) => file(withQuery(path, query), fallbackName),
  /** Sends a file's raw bytes (application/octet-stream) and reads the JSON answer. */
  upload: async <T>(path: string, bytes: Blob): Promise<T> => {
    const text = await (await call("POST", path, { data: bytes, type: "application/octet-stream" })).text();
    return (text ? safeParse(text) : null) as T;
  },
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
