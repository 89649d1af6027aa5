import type { RecordOutcome } from '../operations/record.js';
import { shellQuote } from '../shell.js';
import { type Output, safe } from './index.js';

/** `test record --json`: what was recorded, and the file's text when it went to no file. */
export function recordJson(r: RecordOutcome, file: string | null): Record<string, unknown> {
  return {
    config: r.config.name,
    number: r.config.fromNumber,
    channel: r.channel,
    source: r.source,
    file,
    messages: r.messages,
    sends: r.sends,
    expects: r.expects,
    skipped: r.skipped,
    expectations: r.expectations.map((e) => ({
      contains: e.contains,
      matches: e.matches,
      any: e.any,
      channel: e.channel,
      media: e.media,
      not_checked: e.notes,
    })),
    ...(file === null ? { scenario: r.yaml } : {}),
  };
}

/** The scenario on stdout (escaped: it is already, and stays valid YAML), or where it went; the next step on stderr. */
export function printRecording(out: Output, r: RecordOutcome, file: string | null): void {
  if (file === null) out.line(safe(r.yaml.trimEnd(), { multiline: true }));
  const what = `${r.sends} send and ${r.expects} expect step${r.expects === 1 ? '' : 's'} from ${r.messages} message${r.messages === 1 ? '' : 's'} on ${r.channel}`;
  if (file !== null) out.success(`Recorded ${what} to ${safe(file)}`);
  else out.status(`Recorded ${what}.`);
  for (const s of r.skipped) out.warn(`left out: ${s}`);
  out.status(
    `It holds customer messages: review it before you commit it. Run it: fruxon-twilio test ${file === null ? 'FILE' : safe(file)} --config ${safe(shellQuote(r.config.name))} --from ${r.channel === 'whatsapp' ? 'whatsapp:' : ''}TESTER_NUMBER`,
  );
}
