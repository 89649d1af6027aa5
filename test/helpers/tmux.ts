import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, childEnv } from './cli.js';

let sessions = 0;

/**
 * The built CLI on a real pseudo-terminal: a private tmux server (its own socket and an empty config) with
 * one window of a fixed size; a shell stays after the program exits, so its last screen, exit status and
 * the modes it left the terminal in can be read. Waits poll capture-pane with a deadline: nothing here sleeps a fixed time.
 */
export class TmuxPane {
  readonly #socket: string;
  readonly #dir: string;

  private constructor(socket: string, dir: string) {
    this.#socket = socket;
    this.#dir = dir;
  }

  /** Runs `fruxon-twilio ARGS` (then `shellTail`, e.g. a redirection) in a new pane of cols x rows. */
  static start(
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cols?: number; rows?: number; shellTail?: string } = {},
  ): TmuxPane {
    const dir = mkdtempSync(join(tmpdir(), 'fruxon-twilio-tmux-'));
    const conf = join(dir, 'tmux.conf');
    writeFileSync(conf, 'set -g status off\nset -g history-limit 2000\n');
    const script = join(dir, 'run.sh');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // The program runs in the foreground (the terminal's stdin), its pid in a file; then the shell stays, so that
    // the terminal's modes can still be read (tmux reports a dead pane's cursor as hidden). A Ctrl-C the terminal
    // turns into SIGINT reaches the shell too: it runs a no-op trap instead of leaving.
    const run = [process.execPath, binPath, ...args].map(quote).join(' ');
    writeFileSync(
      script,
      `trap : INT\nsh -c 'echo $$ > "$0"; exec "$@"' ${quote(join(dir, 'pid'))} ${run} ${opts.shellTail ?? ''}\necho "[exited $?]"\nexec sleep 3600\n`,
    );
    const pane = new TmuxPane(`fruxon-test-${process.pid}-${++sessions}`, dir);
    pane.#tmux(
      [
        '-f',
        conf,
        'new-session',
        '-d',
        '-s',
        'main',
        '-x',
        String(opts.cols ?? 120),
        '-y',
        String(opts.rows ?? 30),
        `sh ${quote(script)}`,
      ],
      childEnv(opts.env),
    );
    return pane;
  }

  #tmux(args: string[], env?: NodeJS.ProcessEnv): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], {
      encoding: 'utf8',
      env: env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /**
   * What the pane shows now (with `history`, and what scrolled off; with `attributes`, colours and inverse as SGR
   * sequences), one string per row (a line the terminal wrapped is joined again).
   */
  screen(opts: { history?: boolean; attributes?: boolean } = {}): string {
    return this.#tmux([
      'capture-pane',
      '-p',
      '-J',
      ...(opts.history ? ['-S', '-'] : []),
      ...(opts.attributes ? ['-e'] : []),
      '-t',
      'main',
    ]);
  }

  /** Resolves with the screen once `pattern` matches it; fails with the last screen after timeoutMs. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = this.screen();
      if (pattern.test(last)) return last;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** tmux key names: 'Up', 'Enter', 'Escape', 'C-c', or single characters. */
  keys(...keys: string[]): void {
    this.#tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Types text literally. */
  type(text: string): void {
    this.#tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  resize(cols: number, rows: number): void {
    this.#tmux(['resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows)]);
  }

  /** The program's process id. */
  pid(): number {
    return Number(readFileSync(join(this.#dir, 'pid'), 'utf8').trim());
  }

  /** The terminal's modes as the program left them: the alternate screen on, the cursor shown. */
  modes(): { alternateScreen: boolean; cursorVisible: boolean } {
    const [alt, cursor] = this.#tmux(['display-message', '-p', '-t', 'main', '#{alternate_on} #{cursor_flag}'])
      .trim()
      .split(' ');
    return { alternateScreen: alt === '1', cursorVisible: cursor === '1' };
  }

  /** The exit status once the program has ended (the shell prints it after), polled. */
  async exitStatus(timeoutMs = 30_000): Promise<number> {
    const m = /\[exited (\d+)\]/.exec(await this.waitFor(/\[exited \d+\]/, timeoutMs));
    return Number(m![1]);
  }

  /** Kills the tmux server (a program still running gets SIGHUP), waits for the program to end, removes the files. */
  async kill(): Promise<void> {
    let pid: number | null = null;
    try {
      pid = this.pid();
    } catch {
      // it never started
    }
    try {
      this.#tmux(['kill-server']);
    } catch {
      // already gone
    }
    const deadline = Date.now() + 15_000;
    while (pid !== null && alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
