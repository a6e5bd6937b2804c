// A Chart.js chart on a canvas, rebuilt when its configuration changes. Only the parts the dashboard
// uses are registered, so the bundle carries no unused chart types.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "preact/hooks";

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
  Filler,
);
Chart.defaults.font.family =
  getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "system-ui, sans-serif";
Chart.defaults.color = "#4a5a67";
Chart.defaults.borderColor = "#e3e9ee";

export const palette = ["#0f766e", "#2563a8", "#a15c07", "#7c3aed", "#be185d", "#4b5563"];

export function ChartCanvas({
  config,
  label,
  height = 260,
}: {
  config: ChartConfiguration;
  label: string;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
    return () => chart.destroy();
  }, [JSON.stringify(config.data), JSON.stringify(config.options ?? {})]);
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
