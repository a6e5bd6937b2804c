// API tokens, for admins: create one (name, role, every clinic or some), see its secret once, list every
// token ever made, revoke one. The daemon keeps only each secret's hash, so a lost secret is replaced,
// never shown again; creation and revocation are recorded in the audit trail.
import { useState } from "preact/hooks";
import { useRoles } from "../access";
import { api } from "../api/client";
import type { NewToken, Role, Token } from "../api/types";
import { Restricted } from "../components/Access";
import { Empty, ErrorBox, FormError, Loading, PageTitle } from "../components/Common";
import { Icon } from "../components/Icon";
import { WorkspaceTabs } from "../components/Workspace";
import { when } from "../format";
import { useIdentity } from "../identity";
import { useClinics } from "../useClinics";
import { useLoad } from "../useLoad";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function CreateForm({ onCreated }: { onCreated: (token: NewToken) => void }) {
  const roles = useRoles();
  const clinics = useClinics();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [everyClinic, setEveryClinic] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!name.trim()) return setError("Give the token a name: the audit trail shows it as token:<name>.");
    if (!role) return setError("Choose the token's role.");
    if (!everyClinic && chosen.length === 0) return setError("Choose at least one clinic, or every clinic.");
    setBusy(true);
    setError(null);
    try {
      const made = await api.post<NewToken>("/tokens", {
        name: name.trim(),
        role,
        clinics: everyClinic ? null : chosen,
      });
      setName("");
      setChosen([]);
      setEveryClinic(true);
      onCreated(made);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="panel" id="create-token" onSubmit={submit} aria-labelledby="create-heading">
      <h2 id="create-heading">Create a token</h2>
      <div class="form-row">
        <label class="field">
          <span>Name (who or what uses it)</span>
          <input
            name="name"
            value={name}
            maxLength={64}
            spellcheck={false}
            autoComplete="off"
            placeholder="ann.auditor"
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Role</span>
          <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            <option value="">Choose…</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset class="clinic-choice">
        <legend>Clinics it may see and act on</legend>
        <label class="check">
          <input type="radio" name="scope" checked={everyClinic} onChange={() => setEveryClinic(true)} />
          Every clinic
        </label>
        <label class="check">
          <input type="radio" name="scope" checked={!everyClinic} onChange={() => setEveryClinic(false)} />
          Only these clinics:
        </label>
        <div class="check-list" aria-label="Clinics">
          {clinics?.map((c) => (
            <label key={c} class="check">
              <input
                type="checkbox"
                name="clinics"
                value={c}
                checked={chosen.includes(c)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  setEveryClinic(false);
                  setChosen(on ? [...chosen, c] : chosen.filter((x) => x !== c));
                }}
              />
              {c}
            </label>
          ))}
        </div>
      </fieldset>
      <FormError message={error} />
      <button type="submit" class="button primary" disabled={busy}>
        <Icon name="key" /> {busy ? "Creating…" : "Create token"}
      </button>
    </form>
  );
}

/** The secret, once: the daemon keeps only its hash. */
function NewSecret({ token, onDone }: { token: NewToken; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("Copied.");
    } catch {
      setCopied("The browser refused to copy: select the token and copy it.");
    }
  }
  return (
    <section class="panel new-token" id="new-token" aria-labelledby="new-token-heading" data-token-id={token.id}>
      <h2 id="new-token-heading">
        <Icon name="key" /> Token {token.name} created
      </h2>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> The daemon keeps only its hash, so it cannot show it
        again; a lost token is revoked and replaced.
      </p>
      <div class="secret-row">
        <input
          class="secret"
          readOnly
          value={token.token}
          aria-label="The new token"
          data-secret
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <button type="button" class="button secondary" onClick={copy}>
          Copy
        </button>
        <button type="button" class="button primary" onClick={onDone}>
          I have stored it
        </button>
      </div>
      {copied && (
        <p class="small muted" role="status">
          {copied}
        </p>
      )}
    </section>
  );
}

function TokenRow({ token, own, onRevoked }: { token: Token; own: boolean; onRevoked: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await api.delete(`/tokens/${encodeURIComponent(token.id)}`);
      setConfirming(false);
      onRevoked();
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-token={token.id} data-name={token.name} data-revoked={String(token.revoked)}>
      <td>
        <span class="cell-main">
          {token.name}
          {own && <span class="badge neutral">this browser</span>}
        </span>
        <span class="cell-sub">{token.id}</span>
      </td>
      <td>{token.role}</td>
      <td>{token.clinics ? token.clinics.join(", ") : "every clinic"}</td>
      <td class="nowrap">{when(token.created_at)}</td>
      <td data-token-state>
        {token.revoked ? (
          <span class="badge result-bad">
            <Icon name="lock" size={14} /> Revoked
          </span>
        ) : (
          <span class="badge result-good">
            <Icon name="check" size={14} /> Active
          </span>
        )}
      </td>
      <td>
        {!token.revoked && !confirming && (
          <button class="button secondary" onClick={() => setConfirming(true)} aria-label={`Revoke ${token.name}…`}>
            Revoke…
          </button>
        )}
        {confirming && (
          <div class="confirm" role="group" aria-label={`Revoke ${token.name}?`}>
            <span class="small">
              {own
                ? "This is the token this browser signed in with: you will be signed out."
                : "Every client using it is refused at once."}
            </span>
            <button class="button danger" onClick={revoke} disabled={busy}>
              {busy ? "Revoking…" : `Revoke ${token.name}`}
            </button>
            <button class="button secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        )}
        <FormError message={error} />
      </td>
    </tr>
  );
}

function TokenList({ generation, onRevoked }: { generation: number; onRevoked: () => void }) {
  const me = useIdentity();
  const { data, error, loading } = useLoad(() => api.get<{ items: Token[] }>("/tokens"), [generation]);
  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what="Loading tokens" /> : null;
  // Active tokens first, newest first; revoked ones stay listed, as the audit trail names them.
  const tokens = [...data.items].sort(
    (a, b) => Number(a.revoked) - Number(b.revoked) || b.created_at.localeCompare(a.created_at),
  );
  return (
    <section class="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Tokens</h2>
      {tokens.length === 0 ? (
        <Empty>No token yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" id="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Clinics</th>
                <th>Created</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <TokenRow key={t.id} token={t} own={me?.name === t.name} onRevoked={onRevoked} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Tokens() {
  const [created, setCreated] = useState<NewToken | null>(null);
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <WorkspaceTabs current="tokens" />
      <Restricted path="/api/v1/tokens" title="API tokens" what="the API tokens">
        <PageTitle title="API tokens" />
        {created && <NewSecret token={created} onDone={() => setCreated(null)} />}
        <CreateForm
          onCreated={(t) => {
            setCreated(t);
            setGeneration((g) => g + 1);
          }}
        />
        <TokenList generation={generation} onRevoked={() => setGeneration((g) => g + 1)} />
      </Restricted>
    </>
  );
}
