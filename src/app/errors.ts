/** Errors as the app shows them: the worker's messages are written for users already. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
