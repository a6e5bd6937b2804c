// Sign in with an API token (created with `sterifleet token create` or POST /api/v1/tokens).
import { useState } from "preact/hooks";
import { ApiError, api } from "../api/client";
import { signIn } from "../auth";
import { FormError } from "../components/Common";
import { Icon } from "../components/Icon";

export function SignIn({ notice }: { notice: string | null }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste an API token.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.probe(value);
      signIn(value);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "The daemon does not accept this token. Check that it was copied whole and is not revoked."
          : err instanceof Error
            ? err.message
            : String(err),
      );
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit}>
        <div class="brand large">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="check" size={20} />
          </span>
          sterifleet
        </div>
        <p class="muted">Compliance dashboard for pens and sterilizers</p>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label class="field">
          <span>API token</span>
          <input
            name="token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            placeholder="sft_…"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            autofocus
          />
        </label>
        <FormError message={error} />
        <button type="submit" class="button primary wide" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p class="hint">
          Create a token with <code>sterifleet token create --role manager</code>. It is kept in this browser until you
          sign out.
        </p>
      </form>
    </main>
  );
}
