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

/**
 * A clinic in a form's row of fields, among `options`; `all`, when given, is the words of the choice of
 * every clinic (value "").
 */
export function ClinicField({
  value,
  options,
  all,
  onChange,
}: {
  value: string;
  options: string[] | undefined;
  all?: string;
  onChange: (clinic: string) => void;
}) {
  return (
    <label class="field">
      <span>Clinic</span>
      <select name="clinic" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {all !== undefined && <option value="">{all}</option>}
        {options?.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A day (YYYY-MM-DD) in a form's row of fields. */
export function DayField({
  name,
  label,
  value,
  required,
  onChange,
}: {
  name: string;
  label: string;
  value: string;
  required?: boolean;
  onChange: (day: string) => void;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <input
        type="date"
        name={name}
        required={required}
        value={value}
        onInput={(e) => onChange((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
