import stringWidth from 'string-width';

/**
 * Text for a terminal cell grid. Widths are display columns (string-width: East Asian wide characters and
 * emoji take two, combining marks none), cut on grapheme boundaries, so a line never wraps or splits a
 * character. Text from outside (message bodies, headers, URLs) goes through `clean` first.
 */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Outside text made safe for one line: newlines and tabs become spaces; other control characters (C0, DEL,
 * C1: an ESC could move the cursor or recolour the screen) and the bidi embedding/override/isolate controls
 * (which could reorder the rest of our line) are shown escaped, as \u{1b}. RTL letters themselves are kept.
 */
export function clean(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

export function width(text: string): number {
  return stringWidth(text);
}

/** The longest start of `text` that fits in `cols` columns. */
export function cut(text: string, cols: number): string {
  if (cols <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > cols) break;
    out += segment;
    used += w;
  }
  return out;
}

/** `text` in lines of at most `cols` columns (hard wrap on grapheme boundaries; an empty text is one empty line). */
export function wrap(text: string, cols: number): string[] {
  const lines: string[] = [];
  let line = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > cols && line !== '') {
      lines.push(line);
      line = '';
      used = 0;
    }
    line += segment;
    used += w;
  }
  lines.push(line);
  return lines;
}

/** A piece of a line and how to style it (styles add only SGR sequences: they take no columns). */
export type Span = readonly [text: string, style?: (s: string) => string];

/** Spans laid into at most `cols` columns: what does not fit is cut and ends with `…`. Returns the styled text and its width. */
export function fit(spans: readonly Span[], cols: number): { text: string; width: number } {
  let left = cols;
  let text = '';
  for (const [raw, style] of spans) {
    if (left <= 0 || raw === '') continue;
    const w = stringWidth(raw);
    if (w <= left) {
      text += style ? style(raw) : raw;
      left -= w;
      continue;
    }
    const part = cut(raw, left - 1);
    text += style ? style(part + '…') : part + '…';
    left -= stringWidth(part) + 1;
    break;
  }
  return { text, width: cols - left };
}
