/**
 * A value as it can be pasted into a POSIX shell: as is when it holds only safe characters, else in single
 * quotes. Neutral on purpose (no imports): every layer that writes a command line into a hint uses it.
 */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:/+@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
