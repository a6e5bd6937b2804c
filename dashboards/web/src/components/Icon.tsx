// A few line icons drawn inline, so the dashboard needs no icon font and works offline.
import type { JSX } from "preact";

const paths: Record<string, JSX.Element> = {
  check: <path d="M5 12.5l4.5 4.5L19 7.5" />,
  play: <path d="M8 5.5v13l10.5-6.5z" fill="currentColor" stroke="none" />,
  cycle: (
    <>
      <path d="M19.5 9A8 8 0 0 0 5 7.5L4 9" />
      <path d="M4 4.5V9h4.5" />
      <path d="M4.5 15A8 8 0 0 0 19 16.5l1-1.5" />
      <path d="M20 19.5V15h-4.5" />
    </>
  ),
  lock: (
    <>
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7.5a4 4 0 0 1 8 0V11" />
    </>
  ),
  offline: (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <path d="M6 6l12 12" />
    </>
  ),
  power: (
    <>
      <path d="M12 3.5v8" />
      <path d="M6.6 7.2a7.5 7.5 0 1 0 10.8 0" />
    </>
  ),
  alert: (
    <>
      <path d="M12 3.5l9.5 16.5h-19z" />
      <path d="M12 10v4.5" />
      <path d="M12 17.3v.2" />
    </>
  ),
  info: (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <path d="M12 11v5.5" />
      <path d="M12 7.7v.2" />
    </>
  ),
  pen: (
    <>
      <path d="M14.5 4.5l5 5L9 20H4v-5z" />
      <path d="M12 7l5 5" />
    </>
  ),
  sterilizer: (
    <>
      <rect x="3.5" y="4" width="17" height="16" rx="2" />
      <circle cx="12" cy="12.5" r="4" />
      <path d="M7 7.5h.2M10 7.5h.2" />
    </>
  ),
  cartridge: (
    <>
      <rect x="8" y="3.5" width="8" height="12" rx="1.5" />
      <path d="M10 15.5v3M12 15.5v5M14 15.5v3" />
    </>
  ),
  chart: (
    <>
      <path d="M4 20V4" />
      <path d="M4 20h16" />
      <path d="M8 16v-5M12 16V8M16 16v-3" />
    </>
  ),
  recall: (
    <>
      <path d="M4 7h16M7 7v12.5h10V7" />
      <path d="M9.5 7V4.5h5V7" />
      <path d="M10 11l4 4M14 11l-4 4" />
    </>
  ),
  grid: (
    <>
      <rect x="4" y="4" width="7" height="7" rx="1.5" />
      <rect x="13" y="4" width="7" height="7" rx="1.5" />
      <rect x="4" y="13" width="7" height="7" rx="1.5" />
      <rect x="13" y="13" width="7" height="7" rx="1.5" />
    </>
  ),
  bell: (
    <>
      <path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15z" />
      <path d="M10 20.5a2 2 0 0 0 4 0" />
    </>
  ),
  back: <path d="M14.5 5.5L8 12l6.5 6.5" />,
  signout: (
    <>
      <path d="M10 4.5H5.5v15H10" />
      <path d="M14 8l4 4-4 4M18 12H9.5" />
    </>
  ),
  report: (
    <>
      <path d="M6 3.5h8.5L19 8v12.5H6z" />
      <path d="M14 3.5V8.5h5" />
      <path d="M9 12.5h6.5M9 16h6.5" />
    </>
  ),
  shield: (
    <>
      <path d="M12 3.5l7.5 3v5.5c0 4.5-3.2 7.7-7.5 9-4.3-1.3-7.5-4.5-7.5-9V6.5z" />
      <path d="M8.8 12.2l2.2 2.2 4.2-4.4" />
    </>
  ),
  quarantine: (
    <>
      <path d="M4 13.5l2.5-8h11l2.5 8v6H4z" />
      <path d="M4 13.5h4.5l1 2h5l1-2H20" />
    </>
  ),
  key: (
    <>
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l8.5-8.5M16.5 6.5l2.5 2.5M14 9l2 2" />
    </>
  ),
  download: (
    <>
      <path d="M12 4v11M7.5 10.5L12 15l4.5-4.5" />
      <path d="M5 19.5h14" />
    </>
  ),
  upload: (
    <>
      <path d="M12 15.5v-11M7.5 9L12 4.5 16.5 9" />
      <path d="M5 19.5h14" />
    </>
  ),
  battery: (
    <>
      <rect x="3" y="7.5" width="16" height="9" rx="2" />
      <path d="M21 11v2" />
    </>
  ),
};

export type IconName = keyof typeof paths;

export function Icon({ name, size = 18, label }: { name: IconName; size?: number; label?: string }) {
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      role={label ? "img" : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : "true"}
    >
      {paths[name]}
    </svg>
  );
}
