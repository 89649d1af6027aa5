import type { TwilioClient } from './client.js';

/** What this tool needs of an IncomingPhoneNumber. */
export interface PhoneNumberInfo {
  sid: string;
  phoneNumber: string;
  smsUrl: string | null;
  smsMethod: string | null;
  smsFallbackUrl: string | null;
  smsFallbackMethod: string | null;
  /** A TwiML App on the number: when set, Twilio ignores the number's sms_* URLs and uses the app's. */
  smsApplicationSid?: string | null;
}

/** Fetches the account itself: the cheapest call that proves the credentials. */
export async function fetchAccount(
  client: TwilioClient,
  accountSid: string,
): Promise<{ sid: string; friendlyName: string; status: string }> {
  const a = await client.api.v2010.accounts(accountSid).fetch();
  return { sid: a.sid, friendlyName: a.friendlyName, status: a.status };
}

/**
 * The account's IncomingPhoneNumber for an E.164 number, or null when the account does not own it. Twilio's
 * `PhoneNumber` filter also matches partially (a number with a digit missing lists other numbers), so the
 * answer is the listed number that is exactly this one.
 */
export async function findNumber(client: TwilioClient, phoneNumber: string): Promise<PhoneNumberInfo | null> {
  const listed = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 1000 });
  const n = listed.find((x) => x.phoneNumber === phoneNumber);
  return n ? toInfo(n) : null;
}

/** Points the number's "A MESSAGE COMES IN" webhook at `url`. */
export async function setSmsWebhook(
  client: TwilioClient,
  numberSid: string,
  url: string,
  method: string,
  fallback?: { url: string | null; method: string | null },
): Promise<PhoneNumberInfo> {
  const n = await client.incomingPhoneNumbers(numberSid).update({
    smsUrl: url,
    smsMethod: method as 'POST',
    ...(fallback && {
      smsFallbackUrl: fallback.url ?? '',
      smsFallbackMethod: (fallback.method ?? 'POST') as 'POST',
    }),
  });
  return toInfo(n);
}

export async function fetchNumber(client: TwilioClient, numberSid: string): Promise<PhoneNumberInfo> {
  return toInfo(await client.incomingPhoneNumbers(numberSid).fetch());
}

/** Twilio answers "" for an unset URL or method; this tool says null. */
function toInfo(n: PhoneNumberInfo): PhoneNumberInfo {
  return {
    sid: n.sid,
    phoneNumber: n.phoneNumber,
    smsUrl: n.smsUrl || null,
    smsMethod: n.smsMethod || null,
    smsFallbackUrl: n.smsFallbackUrl || null,
    smsFallbackMethod: n.smsFallbackMethod || null,
    smsApplicationSid: n.smsApplicationSid || null,
  };
}
