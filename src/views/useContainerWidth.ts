import { useLayoutEffect, useState } from 'react';

/**
 * The width of an element's content box in whole CSS pixels, followed as it resizes (window,
 * side panel, breakpoint), so that a chart is drawn at the width it is given; `fallback` until it
 * is measured (and where ResizeObserver is missing, as in unit tests). Returns a callback ref: the
 * element may mount later than the component (a tab opened afterwards).
 */
export function useContainerWidth<T extends HTMLElement>(
  fallback: number,
): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState<number | undefined>(undefined);
  useLayoutEffect(() => {
    if (!element || typeof ResizeObserver === 'undefined') return;
    // Whole pixels, and no re-render for a sub-pixel change.
    const measure = (w: number) => {
      if (w > 0) setWidth(Math.floor(w));
    };
    measure(element.clientWidth);
    const observer = new ResizeObserver(([entry]) => measure(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width ?? fallback];
}
