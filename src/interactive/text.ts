import { eastAsianWidth } from 'get-east-asian-width';

/**
 * Text for a terminal cell grid. Widths are display columns, counted per grapheme (Intl.Segmenter): East
 * Asian wide and fullwidth characters (get-east-asian-width, Unicode's table) and emoji take two, marks
 * and format characters none. Text is cut on grapheme boundaries, so a line never wraps or splits a
 * character. Text from outside (message bodies, headers, URLs) goes through `clean` first.
 * (string-width does the same with `\p{RGI_Emoji}` under the `v` flag, whose compilation cost ~50 ms at
 * load: the screen's start-up should not pay for it.)
 */

// Made on first use: building a segmenter loads ICU's break rules (~20 ms), and text made only of the
// characters in SIMPLE (one code point, one column each) never needs it.
let segmenter: Intl.Segmenter | null = null;
function graphemes(text: string): Iterable<{ segment: string }> {
  if (SIMPLE.test(text)) return Array.from(text, (segment) => ({ segment }));
  return (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text);
}
/** ASCII, Latin-1 and Latin Extended letters, punctuation, arrows, box drawing and blocks: no marks, no wide or emoji characters. */
const SIMPLE = /^[\x20-\x7e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u259f]*$/;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}\u200b-\u200f\u{e0000}-\u{e007f}]$/u;
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\ufe0f|\u20e3|[\u{1f1e6}-\u{1f1ff}]{2}/u;

function graphemeWidth(g: string): number {
  if (EMOJI.test(g)) return 2;
  for (const ch of g) {
    if (ZERO_WIDTH.test(ch)) continue;
    return eastAsianWidth(ch.codePointAt(0)!);
  }
  return 0;
}

function stringWidth(text: string): number {
  if (SIMPLE.test(text)) return text.length;
  let w = 0;
  for (const { segment } of graphemes(text)) w += graphemeWidth(segment);
  return w;
}

/**
 * Outside text made safe for one line: newlines and tabs become spaces; other control characters (C0, DEL,
 * C1: an ESC could move the cursor or recolour the screen) and the bidi embedding/override/isolate controls
 * (which could reorder the rest of our line) are shown escaped, as \u{1b}. RTL letters themselves are kept.
 */
export function clean(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(
      /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
      (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`,
    );
}

export function width(text: string): number {
  return stringWidth(text);
}

/** The longest start of `text` that fits in `cols` columns. */
export function cut(text: string, cols: number): string {
  if (cols <= 0) return '';
  let out = '';
  let used = 0;
  for (const { segment } of graphemes(text)) {
    const w = graphemeWidth(segment);
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
  for (const { segment } of graphemes(text)) {
    const w = graphemeWidth(segment);
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

/** The text without its last grapheme (the prompt's backspace). */
export function dropLast(text: string): string {
  const all = [...graphemes(text)];
  return all
    .slice(0, -1)
    .map((g) => g.segment)
    .join('');
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
