import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clean, cut, fit, width, wrap } from '../../src/interactive/text.js';

test('widths are display columns: emoji and CJK take two, combining marks none, RTL letters one', () => {
  assert.equal(width('abc'), 3);
  assert.equal(width('👋'), 2);
  assert.equal(width('👩‍👩‍👧'), 2, 'a ZWJ family is one grapheme of two columns');
  assert.equal(width('日本'), 4);
  assert.equal(width('é'), 1, 'e + combining acute');
  assert.equal(width('שלום'), 4);
});

test('cut, wrap and fit never split a grapheme or pass the width', () => {
  assert.equal(cut('a👋b', 2), 'a', 'the emoji does not fit in the one column left');
  assert.equal(cut('👩‍👩‍👧x', 2), '👩‍👩‍👧');
  assert.deepEqual(wrap('日本語テキスト', 5), ['日本', '語テ', 'キス', 'ト']);
  for (const line of wrap('ab👋cd👋👋ef', 3)) assert.ok(width(line) <= 3, line);
  const r = fit([['hello '], ['wörld 👋 and more', (s) => `<${s}>`]], 12);
  assert.equal(r.text, 'hello <wörld…>');
  assert.equal(r.width, 12);
  assert.equal(fit([['日本語']], 4).text, '日…', 'cut to 3 columns, then the ellipsis');
});

test('clean shows control and bidi-override characters escaped and keeps RTL letters', () => {
  assert.equal(clean('a\u001b[2Jb'), 'a\\u{1b}[2Jb');
  assert.equal(clean('line one\r\nline two\tend'), 'line one line two end');
  assert.equal(clean('\u202eevil\u2066'), '\\u{202e}evil\\u{2066}');
  assert.equal(clean('\u0085x\u007f'), '\\u{85}x\\u{7f}');
  assert.equal(clean('שלום עולם'), 'שלום עולם');
});

test('the fast path for simple text gives the same widths as the grapheme walk', () => {
  for (const s of ['plain ascii', 'café · naïve → ↳ │ ▏', 'x\u0301y', 'a\u00adb', 'a😀', '‼ ©']) {
    const slow = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].reduce(
      (w, g) => w + width(g.segment + ''),
      0,
    );
    assert.equal(width(s), slow, s);
  }
  assert.equal(width('a\u00adb'), 2, 'a soft hyphen takes no column');
});
