// A page only some roles may open: the daemon decides (access.ts); a token without the right is told so
// in words rather than shown a page of errors.
import type { ComponentChildren } from "preact";
import { useAllowed } from "../access";
import { useIdentity } from "../identity";
import { Loading, PageTitle } from "./Common";
import { Icon } from "./Icon";

export function Restricted({
  method = "GET",
  path,
  title,
  what,
  children,
}: {
  method?: string;
  /** the API path the page reads, as the daemon's description writes it */
  path: string;
  title: string;
  /** "the audit trail": what the page shows, for the refusal */
  what: string;
  children: ComponentChildren;
}) {
  const allowed = useAllowed(method, path);
  const me = useIdentity();
  if (allowed === null) return <Loading what="Checking what this token may see" />;
  if (allowed) return <>{children}</>;
  return (
    <>
      <PageTitle title={title} />
      <p class="notice not-allowed" role="status">
        <Icon name="lock" size={16} /> This token ({me?.role}
        {me?.clinics ? ` for ${me.clinics.join(", ")}` : ""}) may not see {what}. Sign in with a token whose role
        includes it.
      </p>
    </>
  );
}
