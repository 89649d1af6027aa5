import type { Report } from '../operations/report.js';
import { safe } from './index.js';

/** `doctor --report` as Markdown, to paste into a bug report (outside text escaped: see `safe`). */
export function reportMarkdown(r: Report): string {
  const cell = (v: unknown) =>
    v === null || v === undefined || v === '' ? '–' : safe(String(v)).replace(/\|/g, '\\|').replace(/`/g, "'");
  const code = (v: unknown) => (v === null || v === undefined || v === '' ? '–' : `\`${cell(v)}\``);
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const mark = (ok: boolean | 'warn', skipped?: boolean) =>
    skipped ? '–' : ok === true ? '✔' : ok === 'warn' ? '!' : '✖';

  push(
    '## fruxon-twilio report',
    '',
    `Generated ${cell(r.generated_at)} by \`fruxon-twilio doctor --report\` (secrets removed).`,
    '',
    '### Versions',
    '',
    '| | |',
    '| --- | --- |',
    `| fruxon-twilio | ${cell(r.tool.version)} |`,
    `| Node.js | ${cell(r.tool.node)} |`,
    `| OS | ${cell(r.tool.os)} |`,
    ...Object.entries(r.dependencies).map(([name, v]) => `| ${cell(name)} | ${cell(v ?? 'not installed')} |`),
    '',
    '### Store',
    '',
    r.store.exists
      ? `Schema version ${cell(r.store.schema_version ?? 'unreadable')} of ${r.store.current_version} (\`${cell(r.store.file)}\`).`
      : `No store yet (\`${cell(r.store.file)}\`).`,
    '',
    '### Configs',
    '',
  );
  if (r.configs.length === 0) push('None.', '');
  for (const c of r.configs) {
    push(
      `#### ${cell(c.name)}${c.default ? ' (default)' : ''}`,
      '',
      `- From ${code(c.from_number)} on ${code(c.account)}, ${cell(c.auth)} from ${cell(c.secret_source)}${c.api_url ? `, via ${code(c.api_url)}` : ''}`,
      `- Production webhook: ${code(c.production_webhook)}`,
      `- Fruxon: ${c.fruxon_link ? `linked to ${code(c.fruxon_link.fruxon_config_id)} of tenant ${code(c.fruxon_link.tenant)}` : 'not linked'}`,
    );
    if (c.routes_error) push(`- Routes: not read (${cell(c.routes_error)})`);
    for (const route of c.routes)
      push(
        `- ${cell(route.channel)}: ${cell(route.layer)} decides, URL ${code(route.url)}, fallback ${code(route.fallback_url)}`,
      );
    push('');
  }
  push('### Leases', '');
  if (r.leases.length === 0) push('None.');
  else {
    push('| config | number | layer | pid | listener | since |', '| --- | --- | --- | --- | --- | --- |');
    for (const l of r.leases)
      push(
        `| ${cell(l.config)} | ${cell(l.phone_number)} | ${cell(l.layer)} | ${l.pid} | ${l.alive ? 'running' : 'gone (restore needed)'} | ${cell(l.started_at)} |`,
      );
  }
  push(
    '',
    `### Twilio alerts since ${cell(r.alerts.since)}${r.alerts.number ? ` for ${cell(r.alerts.number)}` : ''}`,
    '',
  );
  if (r.alerts.error) push(`Not read: ${cell(r.alerts.error)}`);
  else if (r.alerts.items.length === 0) push('None.');
  else {
    push('| when | code | level | request URL | text |', '| --- | --- | --- | --- | --- |');
    for (const a of r.alerts.items)
      push(
        `| ${cell(a.date)} | ${cell(a.error_code)} | ${cell(a.log_level)} | ${code(a.request_url)} | ${cell(a.text.replace(/\s+/g, ' ').slice(0, 300))} |`,
      );
  }
  push('', '### Last errors', '');
  if (r.errors.length === 0) push('None.');
  for (const e of r.errors)
    push(
      `<details><summary>${cell(e.summary)} (${cell(e.file)})</summary>`,
      '',
      '```',
      safe(e.text, { multiline: true }).replace(/```/g, "'''"),
      '```',
      '',
      '</details>',
      '',
    );
  push(
    '',
    `### Doctor: ${r.doctor.ok ? 'every check passed' : 'a check failed'}`,
    '',
    '| | check | detail | fix |',
    '| --- | --- | --- | --- |',
  );
  for (const c of r.doctor.checks)
    push(`| ${mark(c.ok, c.skipped)} | ${cell(c.name)} | ${cell(c.detail)} | ${cell(c.fix)} |`);
  return `${lines.join('\n')}\n`;
}
