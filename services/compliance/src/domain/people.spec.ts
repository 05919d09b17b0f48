import type { RegionRule } from '@aperture/policy';
import { consentCoversRegion, decidePeople, type ValidConsent } from './people';

const rule = (
  people: RegionRule['people'],
  withoutConsent: RegionRule['withoutConsent'] = 'redact',
): RegionRule => ({
  people,
  withoutConsent,
  keepMetadata: [],
});
const faces: ValidConsent = { consentId: 'c-faces', scopes: ['faces'], regions: ['EU'] };
const voice: ValidConsent = { consentId: 'c-voice', scopes: ['voice_free'], regions: [] };
const decide = (r: RegionRule, faceCount: number, consents: ValidConsent[], declaredRegion = 'EU') =>
  decidePeople({ rule: r, ruleRegion: 'EU', declaredRegion, faceCount, consents });

describe('decidePeople', () => {
  it('has nothing to decide without a face, whatever the rule', () => {
    for (const people of ['allow', 'redact', 'reject'] as const)
      expect(decide(rule(people), 0, []).outcome).toBe('none');
  });

  it('reject refuses any image with a face, consent or not', () => {
    expect(decide(rule('reject'), 2, [faces])).toMatchObject({
      outcome: 'rejected',
      reason: { code: 'faces_not_allowed' },
    });
  });

  it('redact redacts even with a consent', () => {
    expect(decide(rule('redact'), 1, [faces]).outcome).toBe('redacted');
  });

  it('allow keeps faces under a consent covering faces in the region', () => {
    expect(decide(rule('allow'), 1, [voice, faces])).toMatchObject({
      outcome: 'allowed',
      consentId: 'c-faces',
    });
  });

  it('allow falls back without a covering consent: wrong scope, wrong region, none', () => {
    expect(decide(rule('allow', 'redact'), 1, [voice]).outcome).toBe('redacted');
    expect(decide(rule('allow', 'redact'), 1, [faces], 'US-IL').outcome).toBe('redacted');
    expect(decide(rule('allow', 'reject'), 1, [])).toMatchObject({
      outcome: 'rejected',
      reason: { code: 'consent_missing' },
    });
  });

  it('matches consent regions by code or country', () => {
    expect(consentCoversRegion({ regions: [] }, 'BR')).toBe(true);
    expect(consentCoversRegion({ regions: ['US'] }, 'us-il')).toBe(true);
    expect(consentCoversRegion({ regions: ['US-IL'] }, 'US-TX')).toBe(false);
    expect(consentCoversRegion({ regions: ['EU'] }, '')).toBe(false);
    expect(consentCoversRegion({ regions: ['EU'] }, 'DE')).toBe(true);
    expect(consentCoversRegion({ regions: ['EU'] }, 'GB')).toBe(false);
  });
});
