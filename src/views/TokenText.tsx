/**
 * A token as text: what the tokenizer's decoder makes of it (" Berlin" rather than "ĠB"), with
 * its spaces made visible (a token that starts a word differs from one that continues it), and
 * its id and vocabulary entry in a tooltip. Tokens without decoded text (answers stored before it
 * was kept) show their vocabulary entry.
 */

export interface TokenLike {
  /** The vocabulary id, when known. */
  id?: number;
  /** The vocabulary entry ("ĠB"). */
  token: string;
  /** The decoded text (" B"). */
  text?: string;
}

/** Visible marks for whitespace, so " B" and "B" read differently. */
const SPACE = '␣';
const NEWLINE = '⏎';
const TAB = '⇥';

/** The text with every whitespace character replaced by a visible mark. */
export function visibleWhitespace(text: string): string {
  return text.replace(/ /g, SPACE).replace(/\r?\n/g, NEWLINE).replace(/\t/g, TAB);
}

/** What a token reads as in text exports (CSV, captions): its decoded text, else its entry. */
export const tokenDisplay = (t: TokenLike): string => t.text ?? t.token;

/**
 * Tokens predicted at consecutive slots as one piece of text: decoded texts carry their own spaces
 * (byte-level and SentencePiece tokens), WordPiece continuations ("##lin") attach to the token
 * before, and other WordPiece tokens are separate words.
 */
export function joinTokens(tokens: readonly TokenLike[]): string {
  const texts = tokens.map(tokenDisplay);
  const spaced = texts.some((t) => /^\s/.test(t));
  let out = '';
  for (const t of texts) {
    if (out === '' || spaced || /^\s/.test(t)) out += t;
    else if (t.startsWith('##')) out += t.slice(2);
    else out += ` ${t}`;
  }
  return out.trim();
}

/** The tooltip: id and vocabulary entry. */
export function tokenTitle(t: TokenLike): string {
  const parts = [
    t.id !== undefined ? `token id ${t.id}` : undefined,
    `vocabulary entry “${t.token}”`,
  ];
  return parts.filter(Boolean).join(' · ');
}

export function TokenText({ token, lang }: { token: TokenLike; lang?: string }) {
  const text = tokenDisplay(token);
  // Marks for whitespace in a lighter colour than the text itself.
  const pieces = text.split(/(\s+)/).filter((p) => p !== '');
  return (
    <code className="kn-token" title={tokenTitle(token)} lang={lang} data-token-id={token.id}>
      {pieces.length === 0
        ? '∅'
        : pieces.map((p, i) =>
            /^\s+$/.test(p) ? (
              <span key={i} className="kn-token-space" aria-label="space">
                {visibleWhitespace(p)}
              </span>
            ) : (
              p
            ),
          )}
    </code>
  );
}
