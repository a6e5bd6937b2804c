// The current time, refreshed every `ms`, so "5 min ago" ages while the page stays open.
import { useEffect, useState } from "preact/hooks";

export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
