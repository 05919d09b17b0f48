import { complianceV1 } from '@aperture/contracts';
import { checkConsents, validateConsent } from './consent';

const now = new Date('2025-06-01T12:00:00Z');
const consent = (
  consentId: string,
  overrides: Partial<{ revoked: boolean; expiresAt: Date | null; grantedAt: Date }> = {},
) => ({
  consentId,
  scopes: ['faces'],
  regions: [],
  grantedAt: new Date('2025-01-01T00:00:00Z'),
  expiresAt: null,
  revoked: false,
  ...overrides,
});

describe('checkConsents', () => {
  it('clears an image with no declared consent when the project does not require one', () => {
    expect(checkConsents({ requireConsent: false, declaredIds: [], registered: [], now })).toEqual({
      ok: true,
      consentIds: [],
      consents: [],
    });
  });

  it('refuses an image without consent when the project requires one: consent_missing', () => {
    const verdict = checkConsents({ requireConsent: true, declaredIds: [], registered: [], now });
    expect(verdict).toMatchObject({ ok: false, reasons: [{ code: 'consent_missing' }] });
  });

  it('accepts registered, unrevoked, unexpired consents', () => {
    const verdict = checkConsents({
      requireConsent: true,
      declaredIds: ['a', 'b', 'a'],
      registered: [consent('a'), consent('b', { expiresAt: new Date('2026-01-01T00:00:00Z') })],
      now,
    });
    expect(verdict).toMatchObject({
      ok: true,
      consentIds: ['a', 'b'],
      consents: [{ consentId: 'a' }, { consentId: 'b' }],
    });
  });

  it.each([
    ['unregistered', [], 'x is not registered'],
    ['expired', [consent('x', { expiresAt: new Date('2025-05-01T00:00:00Z') })], 'x expired'],
    ['future', [consent('x', { grantedAt: new Date('2025-07-01T00:00:00Z') })], 'x is not granted yet'],
  ])('refuses an %s consent as consent_invalid, required or not', (_name, registered, message) => {
    for (const requireConsent of [true, false]) {
      expect(checkConsents({ requireConsent, declaredIds: ['x'], registered, now })).toEqual({
        ok: false,
        reasons: [{ code: 'consent_invalid', message }],
      });
    }
  });
});

it('refuses an image relying on a revoked consent as consent_revoked, whatever else is declared', () => {
  expect(
    checkConsents({
      requireConsent: false,
      declaredIds: ['a', 'x'],
      registered: [consent('a'), consent('x', { revoked: true })],
      now,
    }),
  ).toEqual({ ok: false, reasons: [{ code: 'consent_revoked', message: 'consent x was revoked' }] });
});

describe('validateConsent', () => {
  const valid = complianceV1.Consent.fromPartial({
    tenantId: 't1',
    subjectRef: 'subject-42',
    scopes: ['faces'],
    purpose: 'training',
    expiresAt: '2026-01-01T00:00:00Z',
  });

  it('assigns an id and defaults granted_at to now', () => {
    expect(validateConsent(valid, now, () => 'cns_new')).toEqual({
      consent: expect.objectContaining({
        consentId: 'cns_new',
        grantedAt: now,
        expiresAt: new Date('2026-01-01T00:00:00Z'),
      }),
    });
    expect(validateConsent({ ...valid, consentId: 'mine-1' }, now, () => 'cns_new')).toMatchObject({
      consent: { consentId: 'mine-1' },
    });
  });

  it('names every bad field', () => {
    const result = validateConsent(
      complianceV1.Consent.fromPartial({
        consentId: 'bad id!',
        grantedAt: 'yesterday',
        expiresAt: '2020-01-01T00:00:00Z',
        revoked: true,
      }),
      now,
      () => 'cns_new',
    );
    expect(result).toEqual({
      errors: [
        'consent_id must be 1-64 of A-Z a-z 0-9 _ -',
        'tenant_id is required',
        'subject_ref is required',
        'scopes must list at least one non-empty scope',
        'purpose is required',
        'revoked must be false when registering',
        'granted_at must be an RFC 3339 timestamp',
        'expires_at must be after granted_at',
      ],
    });
  });
});
