// js-yaml ships no types; the tests use loadAll alone.
declare module 'js-yaml' {
  /** Parses every document of a YAML stream. */
  export function loadAll(text: string): unknown[];
}
