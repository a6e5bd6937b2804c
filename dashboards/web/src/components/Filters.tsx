// The clinic and period pickers the report-like pages share.
import { useFleet } from "../live/fleet";

export function ClinicSelect({ value, onChange }: { value: string | null; onChange: (clinic: string | null) => void }) {
  const { devices } = useFleet();
  const clinics = [...new Set([...devices.values()].map((d) => d.clinic))].sort();
  return (
    <label class="select">
      <span>Clinic</span>
      <select value={value ?? ""} onChange={(e) => onChange((e.target as HTMLSelectElement).value || null)}>
        <option value="">All clinics</option>
        {clinics.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}

export function PeriodChips({
  days,
  options,
  onChange,
}: {
  days: number;
  options: number[];
  onChange: (days: number) => void;
}) {
  return (
    <div class="chips" role="group" aria-label="Period">
      {options.map((d) => (
        <button key={d} class={`chip ${days === d ? "on" : ""}`} aria-pressed={days === d} onClick={() => onChange(d)}>
          {d === 1 ? "Today" : `${d} days`}
        </button>
      ))}
    </div>
  );
}

/** Midnight UTC `days - 1` days ago: the API counts whole UTC days. */
export function periodStart(days: number): string {
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return start.toISOString().replace(".000Z", "Z");
}
