// A SHA-256 or a key in full: auditors compare them character by character, so never shortened.
export function Hash({ value }: { value: string }) {
  return <code class="hash">{value || "—"}</code>;
}
