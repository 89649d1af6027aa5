import { type FieldWording, wordError } from '../errors.js';

/**
 * MCP's wording of a core's fields (see FieldError): the tools' argument names. The one place a core's field
 * becomes an argument; a field not listed here reads as its own name (`to`, `config`).
 */
const ARGUMENTS: Readonly<Record<string, string>> = {
  media_url: 'media_urls',
};

export const mcpWording: FieldWording = (field) => ARGUMENTS[field] ?? field;

/** An error as a tool result says it: a core's FieldError with the arguments' names, anything else as it is. */
export function mcpError(err: unknown): unknown {
  return wordError(err, mcpWording);
}
