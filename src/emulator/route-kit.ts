/**
 * What every route table of the emulator is made of (the route, its context and answer) and the parameter
 * readers they share. routes.ts (the 2010 API) and messaging-routes.ts (the messaging APIs) both stand on this
 * module and not on each other: when they imported each other, importing messaging-routes.js first met routes.js
 * half-initialised and threw a ReferenceError.
 */
import { type EmulatorCore, isCallbackUrl, isHttpMethod } from './core.js';
import { apiErrors } from './errors.js';
import type { HttpMethod } from './types.js';

export interface EmulatorRoute {
  method: HttpMethod | 'DELETE';
  /**
   * Path template exactly as in Twilio's OpenAPI descriptions: `/2010-04-01/…` in twilio_api_v2010.json,
   * `/v1/…` in twilio_messaging_v1.json (`/v1/Content…` in twilio_content_v1.json), `/v2/…` in
   * twilio_messaging_v2.json.
   */
  path: string;
}

export interface RouteContext {
  core: EmulatorCore;
  /** Path parameters by template name (`AccountSid`, `Sid`). */
  params: Record<string, string>;
  /** Request path without query string. */
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  /** The parsed body of an `application/json` request (messaging v2), else undefined. */
  json: unknown;
}

export interface RouteAnswer {
  status: number;
  body: unknown;
}

export interface RouteDefinition extends EmulatorRoute {
  handle(ctx: RouteContext): RouteAnswer;
}

export function ok(body: unknown): RouteAnswer {
  return { status: 200, body };
}

export function urlParam(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  if (value === null) return undefined;
  if (value !== '' && !isCallbackUrl(value)) throw apiErrors.invalidUrl(name, value);
  return value;
}

export function methodParam(form: URLSearchParams, name: string): HttpMethod | undefined {
  const value = form.get(name);
  if (value === null) return undefined;
  const upper = value.toUpperCase();
  if (!isHttpMethod(upper)) throw apiErrors.invalidParameter(`${name} must be GET or POST, not ${value}`);
  return upper;
}
