// Small pieces every page uses: loading and error states (a form's too), a page title, key figures.
import type { ComponentChildren } from "preact";
import { Icon } from "./Icon";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error-box" role="alert">
      <Icon name="alert" />
      <span>{message}</span>
    </div>
  );
}

/** A form's error, announced as it appears; nothing when there is none. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="form-error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function PageTitle({ title, children }: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1>{title}</h1>
      {children && <div class="page-tools">{children}</div>}
    </div>
  );
}

export function Figure({ label, value, tone }: { label: string; value: ComponentChildren; tone?: string }) {
  return (
    <div class={`figure ${tone ?? ""}`}>
      <span class="figure-value">{value}</span>
      <span class="figure-label">{label}</span>
    </div>
  );
}
