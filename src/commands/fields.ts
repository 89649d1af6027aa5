import { type FieldWording, wordError } from '../errors.js';

/**
 * The CLI's wording of a core's fields (see FieldError): its flags. The one place a core's field becomes a flag;
 * a field not listed here reads as `--field-name`.
 */
const FLAGS: Readonly<Record<string, string>> = {
  to: '--to',
  config: '--config',
  media_url: '--media-url',
  status_callback: '--status-callback',
};

export const cliWording: FieldWording = (field) => FLAGS[field] ?? `--${field.replaceAll('_', '-')}`;

/** An error as the CLI says it: a core's FieldError with the flags' names, anything else as it is. */
export function cliError(err: unknown): unknown {
  return wordError(err, cliWording);
}
