import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import {
  canOpenScreen,
  canPrompt,
  canRedrawStatus,
  colorLevel,
  type IoStreams,
  screenColorLevel,
  terminalColumns,
} from '../../src/output/iostreams.js';

function io(tty: { stdin?: boolean; stdout?: boolean; stderr?: boolean }, env: NodeJS.ProcessEnv = {}): IoStreams {
  return {
    stdin: Object.assign(new PassThrough(), { isTTY: tty.stdin }),
    stdout: Object.assign(new PassThrough(), { isTTY: tty.stdout, columns: 80 }),
    stderr: Object.assign(new PassThrough(), { isTTY: tty.stderr }),
    env,
  };
}

describe('iostreams: the terminal and colour decisions', () => {
  test('a stream is coloured on a terminal; NO_COLOR wins over it and over FORCE_COLOR; FORCE_COLOR colours a pipe', () => {
    assert.equal(colorLevel(io({ stdout: true }), 'stdout'), 1);
    assert.equal(colorLevel(io({ stdout: true }), 'stderr'), 0);
    assert.equal(colorLevel(io({ stdout: true }, { NO_COLOR: '1' }), 'stdout'), 0);
    assert.equal(colorLevel(io({ stdout: true }, { NO_COLOR: '' }), 'stdout'), 1, 'an empty NO_COLOR is unset');
    assert.equal(colorLevel(io({}, { FORCE_COLOR: '1' }), 'stderr'), 1);
    assert.equal(colorLevel(io({}, { FORCE_COLOR: '0' }), 'stderr'), 0);
    assert.equal(colorLevel(io({}, { FORCE_COLOR: '1', NO_COLOR: '1' }), 'stderr'), 0);
  });

  test('the screen is coloured unless NO_COLOR', () => {
    assert.equal(screenColorLevel(io({})), 1);
    assert.equal(screenColorLevel(io({}, { NO_COLOR: 'yes' })), 0);
  });

  test('prompts and redrawn lines need a terminal and no CI; the screen needs stdin and stdout terminals', () => {
    assert.equal(canPrompt(io({ stdin: true, stderr: true })), true);
    assert.equal(canPrompt(io({ stdin: true, stderr: true }, { CI: 'true' })), false);
    assert.equal(canPrompt(io({ stdin: true })), false);
    assert.equal(canRedrawStatus(io({ stderr: true })), true);
    assert.equal(canRedrawStatus(io({ stderr: true }, { CI: '1' })), false);
    assert.equal(canOpenScreen(io({ stdin: true, stdout: true })), true);
    assert.equal(canOpenScreen(io({ stdin: true, stderr: true })), false);
    assert.equal(terminalColumns(io({ stdout: true })), 80);
    assert.equal(terminalColumns(io({})), undefined);
  });
});
