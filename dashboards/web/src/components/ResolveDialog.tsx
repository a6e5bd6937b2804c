// Resolving an alert by hand is recorded in the audit trail with the reason, so a reason is required.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Alert } from "../api/types";
import { ruleLabel } from "../format";
import { FormError } from "./Common";

interface Props {
  alert: Alert;
  onResolve: (reason: string) => Promise<void>;
  onClose: () => void;
}

export function ResolveDialog({ alert, onResolve, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (!reason.trim()) {
      setError("Give the reason: it is kept in the audit trail.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onResolve(reason.trim());
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} class="dialog" onClose={onClose} aria-labelledby="resolve-title">
      <form method="dialog" onSubmit={submit}>
        <h2 id="resolve-title">Resolve alert</h2>
        <p class="muted">
          {ruleLabel(alert.rule)} · {alert.subject}
        </p>
        <label class="field">
          <span>Reason (required, kept in the audit trail)</span>
          <textarea
            name="reason"
            rows={3}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            placeholder="e.g. Pen reprocessed manually, cartridge discarded"
            autofocus
          />
        </label>
        <FormError message={error} />
        <div class="dialog-actions">
          <button type="button" class="button secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? "Resolving…" : "Resolve alert"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
