import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The KYC webhook's signature: header `x-kyc-signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(tenant secret, `${t}.${raw body}`). Signing the timestamp with the body makes
 * a captured request useless after the tolerance (no replay with a fresh timestamp); within it,
 * each signature is accepted once.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureVerdict = 'ok' | 'malformed' | 'stale' | 'mismatch';

export function signPayload(secret: string, timestampSeconds: number, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** The parts of a well-formed signature header: when it was signed, and the MAC (hex). */
export function parseSignature(header: string | undefined): { timestamp: number; mac: string } | undefined {
  if (!header) return undefined;
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const timestamp = parts.get('t') ?? '';
  const mac = parts.get('v1') ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(mac)) return undefined;
  return { timestamp: Number(timestamp), mac };
}

/**
 * Checks a signature header against the raw body; compares the MACs in constant time. A valid
 * signature is not enough on its own: the webhook also refuses one it has already accepted
 * (single use, see CampaignStore.applyKycEvent) and an event older than the collector's state.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: Buffer,
  now: Date,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureVerdict {
  const parsed = parseSignature(header);
  if (!parsed) return 'malformed';
  if (Math.abs(now.getTime() / 1000 - parsed.timestamp) > toleranceSeconds) return 'stale';
  const expected = signPayload(secret, parsed.timestamp, rawBody).split('v1=')[1]!;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(parsed.mac, 'hex')) ? 'ok' : 'mismatch';
}
