// The live connection in the top bar: a word with an icon (never colour alone) and when the daemon was
// last heard from, so a tablet left at the reprocessing station shows whether its picture is current.
import { type Connection, useFleet } from "../live/fleet";
import { useNow } from "../useNow";
import { Icon, type IconName } from "./Icon";

const state: Record<Connection, { text: string; icon: IconName }> = {
  connecting: { text: "Connecting…", icon: "cycle" },
  live: { text: "Live", icon: "check" },
  reconnecting: { text: "Not connected — reconnecting", icon: "offline" },
};

/** "just now", "40 s ago", "3 min ago", "2 h ago"; seconds count here, unlike `ago`. */
export function heardAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

export function ConnectionStatus() {
  const { connection, lastHeard } = useFleet();
  const now = useNow(5000);
  const { text, icon } = state[connection];
  const heard = lastHeard === null ? "not yet heard from the daemon" : `last heard ${heardAgo(lastHeard, now)}`;
  return (
    <span
      class={`connection ${connection}`}
      role="status"
      data-connection={connection}
      title={lastHeard === null ? heard : `Last heard from the daemon ${heardAgo(lastHeard, now)}`}
    >
      <Icon name={icon} size={16} />
      <span class="connection-text">
        <span class="connection-state">{text}</span>
        <span class="connection-heard" data-last-heard={lastHeard ?? ""}>
          {heard}
        </span>
      </span>
    </span>
  );
}
