import { hostname } from 'node:os';
import type { ScenarioInfo, ScenarioResult, StepResult } from '../convtest/runner.js';
import { type Output, safe } from './index.js';

/**
 * `fruxon-twilio test`: the step lines, the summary, one JSON object per scenario, and JUnit XML. Everything
 * from outside (the agent's replies, Twilio's errors, the scenario file's names and text) goes through `safe`
 * in the human output and in the JUnit file (which CI systems show as it is); --json is exact.
 */

export function printScenarioStart(out: Output, s: ScenarioInfo): void {
  out.line(
    `${out.color.bold(safe(s.name))} ${out.color.dim(safe(`(${s.file}:${s.line}; config ${s.config}, ${s.tester} -> ${s.number} on ${s.channel})`))}`,
  );
}

export function printStep(out: Output, step: StepResult): void {
  const c = out.color;
  const mark = step.status === 'passed' ? c.green('✔') : step.status === 'skipped' ? c.dim('-') : c.red('✖');
  let text = `${step.index}. ${step.description}`;
  if (step.kind === 'expect' && step.status === 'passed' && step.message) text += `: ${quoteBody(step.message.body)}`;
  if (step.status !== 'passed' && step.failure) text += `: ${step.failure}`;
  const timing =
    step.status === 'skipped'
      ? 'skipped'
      : step.latencyMs !== null
        ? `agent ${seconds(step.latencyMs)}`
        : step.kind === 'send'
          ? seconds(step.ms)
          : `waited ${seconds(step.ms)}`;
  out.line(`  ${mark} ${safe(text)} ${c.dim(`(${timing})`)}`);
  if (step.note) out.line(`      ${c.yellow('note:')} ${safe(step.note)}`);
  if (step.cause) out.line(`      ${c.dim('cause:')} ${safe(step.cause)}`);
  if (step.fix) out.line(`      ${c.dim('fix:')} ${safe(step.fix)}`);
}

export function printScenarioEnd(out: Output, r: ScenarioResult): void {
  if (r.status === 'error' && r.error) {
    out.line(`  ${out.color.red('✖')} could not run: ${safe(r.error.message)}`);
    if (r.error.hint) out.line(`      ${out.color.dim('fix:')} ${safe(r.error.hint)}`);
  }
}

export function printSummary(out: Output, files: { file: string; results: ScenarioResult[] }[], ms: number): void {
  const all = files.flatMap((f) => f.results);
  const count = (s: string) => all.filter((r) => r.status === s).length;
  const parts = [`${count('passed')} passed`];
  if (count('failed')) parts.push(`${count('failed')} failed`);
  if (count('error')) parts.push(`${count('error')} could not run`);
  out.line('');
  for (const r of all.filter((x) => x.status !== 'passed')) {
    const step = r.steps.find((s) => s.status === 'failed' || s.status === 'error');
    const where = step ? `step ${step.index} (line ${step.line}): ${step.failure}` : (r.error?.message ?? '');
    out.line(`${out.color.red('✖')} ${safe(`${r.name} (${r.file}): ${where}`)}`);
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  out.line(
    `${plural(all.length, 'scenario')} in ${plural(files.length, 'file')}: ${parts.join(', ')} (${seconds(ms)})`,
  );
}

/** `--json`: one object per scenario. */
export function scenarioJson(r: ScenarioResult): Record<string, unknown> {
  return {
    file: r.file,
    scenario: r.name,
    line: r.line,
    status: r.status,
    config: r.config,
    tester: r.tester,
    number: r.number,
    channel: r.channel,
    started_at: r.startedAt,
    duration_ms: r.durationMs,
    error: r.error,
    steps: r.steps.map((s) => ({
      index: s.index,
      line: s.line,
      kind: s.kind,
      description: s.description,
      status: s.status,
      ms: s.ms,
      latency_ms: s.latencyMs,
      within_ms: s.withinMs,
      message: s.message,
      failure: s.failure,
      cause: s.cause,
      fix: s.fix,
      note: s.note,
    })),
    messages: r.messages,
  };
}

/**
 * JUnit XML as CI systems read it (Jenkins' junit-10.xsd, which GitLab, GitHub's test reporters and Azure
 * follow): <testsuites> with one <testsuite> per file, one <testcase> per scenario, a <failure> naming the
 * step that failed (or an <error> for a scenario that could not run), and the step lines in <system-out>.
 */
export function junitXml(files: { file: string; results: ScenarioResult[] }[], totalMs: number): string {
  const all = files.flatMap((f) => f.results);
  const n = (rs: ScenarioResult[], s: string) => rs.filter((r) => r.status === s).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="fruxon-twilio test" tests="${all.length}" failures="${n(all, 'failed')}" errors="${n(all, 'error')}" time="${xmlSeconds(totalMs)}">`,
  ];
  files.forEach((f, id) => {
    const rs = f.results;
    const time = rs.reduce((t, r) => t + r.durationMs, 0);
    const stamp = (rs[0]?.startedAt ?? new Date().toISOString()).slice(0, 19);
    lines.push(
      `  <testsuite name="${attr(f.file)}" tests="${rs.length}" failures="${n(rs, 'failed')}" errors="${n(rs, 'error')}" skipped="0" time="${xmlSeconds(time)}" timestamp="${stamp}" hostname="${attr(hostname())}" id="${id}">`,
    );
    for (const r of rs) {
      lines.push(
        `    <testcase name="${attr(r.name)}" classname="${attr(f.file)}" time="${xmlSeconds(r.durationMs)}">`,
      );
      const bad = r.steps.find((s) => s.status === 'failed' || s.status === 'error');
      if (r.status === 'failed' && bad) {
        lines.push(
          `      <failure message="${attr(`step ${bad.index} (line ${bad.line}) ${bad.description}: ${bad.failure ?? 'failed'}`)}" type="${bad.kind}">${text(detail(bad))}</failure>`,
        );
      } else if (r.status === 'error') {
        const msg = r.error?.message ?? bad?.failure ?? 'could not run';
        lines.push(
          `      <error message="${attr(bad ? `step ${bad.index} (line ${bad.line}): ${msg}` : msg)}" type="error">${text([msg, r.error?.hint ? `fix: ${r.error.hint}` : ''].filter(Boolean).join('\n'))}</error>`,
        );
      }
      lines.push(`      <system-out>${text(r.steps.map(stepLine).join('\n'))}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function detail(s: StepResult): string {
  const out = [`step ${s.index} (line ${s.line}): ${s.description}`, s.failure ?? ''];
  out.push(
    s.message
      ? `what arrived: ${quoteBody(s.message.body)} (${s.message.sid}, ${s.message.status}${s.message.error_code ? `, error ${s.message.error_code}` : ''})`
      : 'what arrived: nothing',
  );
  if (s.cause) out.push(`cause: ${s.cause}`);
  if (s.fix) out.push(`fix: ${s.fix}`);
  return out.filter(Boolean).join('\n');
}

function stepLine(s: StepResult): string {
  const mark =
    s.status === 'passed' ? 'ok' : s.status === 'skipped' ? 'skipped' : s.status === 'error' ? 'error' : 'FAILED';
  const timing =
    s.latencyMs !== null ? ` (agent ${seconds(s.latencyMs)})` : s.status === 'skipped' ? '' : ` (${seconds(s.ms)})`;
  return `${mark} ${s.index}. ${s.description}${s.message && s.kind === 'expect' ? `: ${quoteBody(s.message.body)}` : ''}${timing}${s.note ? ` [${s.note}]` : ''}`;
}

function quoteBody(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return JSON.stringify(one.length > 100 ? one.slice(0, 99) + '…' : one);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function xmlSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 allows tab, newline, carriage return and the characters from U+0020 but lone surrogates, U+FFFE and
// U+FFFF. Control characters (C0, DEL, C1) and bidi controls are escaped first as the terminal shows them
// (`safe`, keeping line breaks), so they are seen, not obeyed, where CI shows the file; what XML still
// forbids after that (a lone surrogate, U+FFFE, U+FFFF) becomes U+FFFD.
const INVALID_XML = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function text(s: string): string {
  return safe(s, { multiline: true })
    .replace(INVALID_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
