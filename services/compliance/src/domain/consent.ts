import type { commonV1, complianceV1 } from '@aperture/contracts';

/** A registered consent as the compliance check needs it. */
export interface ConsentStatus {
  consentId: string;
  scopes: string[];
  regions: string[];
  grantedAt: Date;
  expiresAt: Date | null;
  revoked: boolean;
}

export type ConsentVerdict =
  { ok: true; consentIds: string[]; consents: ConsentStatus[] } | { ok: false; reasons: commonV1.Reason[] };

/**
 * Whether an image may be used, as far as consent goes. Every declared consent must be registered
 * for the tenant (`registered` holds only the tenant's), granted, unrevoked and unexpired at `now`,
 * whether or not the project requires consent; a project that requires consent also refuses an
 * image that declares none. Codes: "consent_missing", "consent_revoked", "consent_invalid".
 */
export function checkConsents(input: {
  requireConsent: boolean;
  declaredIds: readonly string[];
  registered: readonly ConsentStatus[];
  now: Date;
}): ConsentVerdict {
  const declared = [...new Set(input.declaredIds)];
  if (declared.length === 0) {
    return input.requireConsent
      ? {
          ok: false,
          reasons: [
            { code: 'consent_missing', message: 'the project requires consent and none is declared' },
          ],
        }
      : { ok: true, consentIds: [], consents: [] };
  }
  const byId = new Map(input.registered.map((consent) => [consent.consentId, consent]));
  const revoked = declared.filter((id) => byId.get(id)?.revoked);
  if (revoked.length > 0)
    return {
      ok: false,
      reasons: [{ code: 'consent_revoked', message: `consent ${revoked.join(', ')} was revoked` }],
    };
  const problems = declared.flatMap((id) => {
    const consent = byId.get(id);
    if (!consent) return [`${id} is not registered`];
    if (consent.grantedAt > input.now) return [`${id} is not granted yet`];
    if (consent.expiresAt && consent.expiresAt <= input.now) return [`${id} expired`];
    return [];
  });
  if (problems.length > 0)
    return { ok: false, reasons: [{ code: 'consent_invalid', message: problems.join('; ') }] };
  return { ok: true, consentIds: declared, consents: declared.map((id) => byId.get(id)!) };
}

export interface NewConsent {
  consentId: string;
  tenantId: string;
  subjectRef: string;
  scopes: string[];
  purpose: string;
  regions: string[];
  grantedAt: Date;
  expiresAt: Date | null;
  revoked: boolean;
  evidenceRef: string;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks a consent to register; returns it ready to store (the id assigned by `newId` when the
 * request has none, granted_at defaulting to `now`) or the list of problems, each naming its field.
 */
export function validateConsent(
  input: complianceV1.Consent | undefined,
  now: Date,
  newId: () => string,
): { consent: NewConsent } | { errors: string[] } {
  if (!input) return { errors: ['consent is required'] };
  const errors: string[] = [];
  const date = (field: string, value: string): Date | null => {
    if (value === '') return null;
    const parsed = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(parsed.getTime())) {
      errors.push(`${field} must be an RFC 3339 timestamp`);
      return null;
    }
    return parsed;
  };
  if (input.consentId !== '' && !ID.test(input.consentId))
    errors.push('consent_id must be 1-64 of A-Z a-z 0-9 _ -');
  if (!ID.test(input.tenantId)) errors.push('tenant_id is required');
  if (input.subjectRef.trim() === '') errors.push('subject_ref is required');
  if (input.scopes.length === 0 || input.scopes.some((scope) => scope.trim() === '')) {
    errors.push('scopes must list at least one non-empty scope');
  }
  if (input.purpose.trim() === '') errors.push('purpose is required');
  if (input.revoked) errors.push('revoked must be false when registering');
  const grantedAt = date('granted_at', input.grantedAt) ?? now;
  const expiresAt = date('expires_at', input.expiresAt);
  if (expiresAt && expiresAt <= grantedAt) errors.push('expires_at must be after granted_at');
  if (errors.length > 0) return { errors };
  return {
    consent: {
      consentId: input.consentId || newId(),
      tenantId: input.tenantId,
      subjectRef: input.subjectRef.trim(),
      scopes: input.scopes.map((scope) => scope.trim()),
      purpose: input.purpose.trim(),
      regions: input.regions,
      grantedAt,
      expiresAt,
      revoked: false,
      evidenceRef: input.evidenceRef,
    },
  };
}
