import { useState } from 'react';

/**
 * State a parent may own: with `value` given the component follows it (and reports changes),
 * otherwise it keeps its own, starting from `initial`. Lets the app persist or share view state
 * (zoom, scale) without the views requiring it.
 */
export function useControllable<T>(
  value: T | undefined,
  onChange: ((value: T) => void) | undefined,
  initial: T | (() => T),
): [T, (value: T) => void] {
  const [own, setOwn] = useState<T>(initial);
  const set = (next: T) => {
    setOwn(next);
    onChange?.(next);
  };
  return [value ?? own, set];
}
