/** Bounds that keep a hostile or mistaken upload from exhausting the tab. */
export interface UploadLimits {
  /** Characters in the whole file (checked again on the text; `checkUploadSize` checks bytes). */
  maxChars: number;
  /** Characters in one JSONL line or CSV record. */
  maxLineChars: number;
  /** Characters in one field: prompt, template, subject, object, id, language. */
  maxFieldChars: number;
  maxFacts: number;
  maxPromptsPerFact: number;
  /** Problems listed one by one; the rest are summed up in a last entry. */
  maxErrors: number;
  /** Nesting of arrays and objects in a JSON document. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<UploadLimits> = {
  maxChars: 16 * 1024 * 1024,
  maxLineChars: 16 * 1024,
  maxFieldChars: 2000,
  maxFacts: 20_000,
  maxPromptsPerFact: 100,
  maxErrors: 500,
  maxDepth: 32,
};

/** A problem found in an upload. `line` is 1-based; 0 means the file as a whole. */
export interface ParseError {
  line: number;
  message: string;
}

/** Checks a file's size before it is read; returns the message to show, or undefined. */
export function checkUploadSize(
  bytes: number,
  limits: UploadLimits = DEFAULT_LIMITS,
): string | undefined {
  if (bytes === 0) return 'the file is empty';
  if (bytes <= limits.maxChars) return undefined;
  const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);
  return `the file is ${mib(bytes)} MiB; the limit is ${mib(limits.maxChars)} MiB: split it into smaller files`;
}

/** Collects problems up to the limit, then only counts them. */
export class ErrorList {
  private readonly items: ParseError[] = [];
  private omitted = 0;

  constructor(private readonly max: number) {}

  add(line: number, message: string): void {
    if (this.items.length < this.max) this.items.push({ line, message });
    else this.omitted++;
  }

  list(): ParseError[] {
    if (this.omitted === 0) return [...this.items];
    return [...this.items, { line: 0, message: `${this.omitted} more problems not listed` }];
  }
}
