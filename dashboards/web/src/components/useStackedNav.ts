// Whether the top bar holds its brand, every section link and its end on one row. The links depend on
// the token's role (an admin has more), so no breakpoint can know: the bar is measured, and when it
// cannot hold them the navigation takes a row of its own, where its links wrap rather than scroll out
// of sight on a tablet. The `stacked` style changes nothing measured here, so the answer cannot flap.
import type { RefObject } from "preact";
import { useLayoutEffect, useState } from "preact/hooks";

function width(element: Element | null): number {
  return element ? element.getBoundingClientRect().width : 0;
}

function columnGap(element: Element): number {
  return parseFloat(getComputedStyle(element).columnGap) || 0;
}

function needsOwnRow(bar: HTMLElement): boolean {
  const nav = bar.querySelector(".nav");
  if (!nav) return false;
  const links = [...nav.children];
  const navWidth = links.reduce((sum, link) => sum + width(link), 0) + columnGap(nav) * Math.max(0, links.length - 1);
  const style = getComputedStyle(bar);
  const room = bar.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const needed = width(bar.querySelector(".brand")) + navWidth + width(bar.querySelector(".topbar-end"));
  return needed + 2 * columnGap(bar) > room;
}

export function useStackedNav(bar: RefObject<HTMLElement | null>): boolean {
  const [stacked, setStacked] = useState(false);
  // After every render of the bar: its links and its end change with the role and the alert count.
  useLayoutEffect(() => {
    if (bar.current) setStacked(needsOwnRow(bar.current));
  });
  // The window's width, and the end's (the connection state renders by itself).
  useLayoutEffect(() => {
    const element = bar.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setStacked(needsOwnRow(element)));
    observer.observe(element);
    const end = element.querySelector(".topbar-end");
    if (end) observer.observe(end);
    return () => observer.disconnect();
  }, [bar]);
  return stacked;
}
