// Sterilizer cycles with their parameters and indicator results; an invalid cycle says why.
import { Fragment } from "preact";
import type { Cycle } from "../api/types";
import { dayOf, duration, methodLabel, timeOf, when } from "../format";
import { href } from "../router";
import { ResultBadge } from "./Badges";
import { Empty } from "./Common";

const stateText: Record<Cycle["state"], string> = {
  valid: "Valid",
  awaiting_bi: "Awaiting BI",
  invalid: "Not valid",
  recalled: "Recalled",
};

function StateCell({ cycle }: { cycle: Cycle }) {
  const ok = cycle.state === "valid" ? true : cycle.state === "awaiting_bi" ? null : false;
  return <ResultBadge ok={ok} text={stateText[cycle.state]} />;
}

function BiResult({ cycle }: { cycle: Cycle }) {
  if (!cycle.bi_monitored) return <span class="muted small">BI not monitored</span>;
  if (!cycle.bi) return <ResultBadge ok={null} text="BI pending" />;
  const positive = cycle.bi.result === "positive";
  return (
    <span title={`read ${when(cycle.bi.at)}`}>
      <ResultBadge ok={!positive} text={positive ? "BI positive" : "BI negative"} />
    </span>
  );
}

export function CycleTable({ cycles, showSterilizer = false }: { cycles: Cycle[]; showSterilizer?: boolean }) {
  if (cycles.length === 0) return <Empty>No cycles recorded.</Empty>;
  return (
    <div class="table-wrap">
      <table class="table cycles" id="cycles">
        <thead>
          <tr>
            <th>Time</th>
            {showSterilizer && <th>Sterilizer</th>}
            <th>Cycle</th>
            <th>Method and exposure</th>
            <th>Load</th>
            <th>Indicators</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {cycles.map((c) => (
            <Fragment key={c.key}>
              <tr data-cycle={c.key} class={c.reasons.length ? "has-reasons" : ""}>
                <td>
                  <span class="cell-main">{timeOf(c.ts)}</span>
                  <span class="cell-sub">{dayOf(c.ts)}</span>
                </td>
                {showSterilizer && (
                  <td>
                    <a href={href.device(c.sterilizer)}>{c.sterilizer}</a>
                  </td>
                )}
                <td class="nowrap">{c.cycle}</td>
                <td>
                  <span class="cell-main">{methodLabel[c.method]}</span>
                  <span class="cell-sub">
                    {c.temp_c} °C · {duration(c.exposure_s)}
                    {c.pressure_kpa !== null && ` · ${c.pressure_kpa} kPa`}
                    {!c.wrapped && " · unwrapped"}
                    {c.method === "chemical" && c.agent && ` · ${c.agent}`}
                    {c.method === "chemical" && c.concentration_pct !== undefined && ` ${c.concentration_pct} %`}
                  </span>
                </td>
                <td class="load">
                  {c.load.length === 0 ? (
                    <span class="muted">empty</span>
                  ) : (
                    c.load.map((d) => (
                      <a key={d} class="load-item" href={href.device(d)}>
                        {d}
                      </a>
                    ))
                  )}
                </td>
                <td>
                  <span class="stack">
                    <ResultBadge ok={c.ci === "pass"} text={c.ci === "pass" ? "CI pass" : "CI fail"} />
                    <BiResult cycle={c} />
                  </span>
                </td>
                <td>
                  <span class="stack">
                    <StateCell cycle={c} />
                    {c.bi?.result === "positive" && <a href={href.recall(c.key)}>Recall</a>}
                  </span>
                </td>
              </tr>
              {c.reasons.length > 0 && (
                <tr class="reasons-row">
                  <td colSpan={showSterilizer ? 7 : 6}>
                    <ul>
                      {c.reasons.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
