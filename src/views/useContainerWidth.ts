import { type RefObject, useLayoutEffect, useRef, useState } from 'react';

/**
 * The width of an element's content box in whole CSS pixels, followed as it resizes (window,
 * side panel, breakpoint), so a chart can be drawn at the width it is given; `fallback` until
 * it is measured (and where ResizeObserver is missing, as in tests).
 */
export function useContainerWidth<T extends HTMLElement>(
  fallback: number,
): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number | undefined>(undefined);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const measure = (w: number) => {
      // Whole pixels, and no re-render for a sub-pixel change.
      if (w > 0) setWidth(Math.floor(w));
    };
    measure(element.clientWidth);
    const observer = new ResizeObserver(([entry]) => measure(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width ?? fallback];
}
