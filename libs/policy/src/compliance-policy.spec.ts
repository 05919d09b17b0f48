import { regionRuleFor } from './compliance-policy';
import { resolvePolicy } from './project-policy';

describe('compliance policy', () => {
  it('defaults to redacting faces everywhere, keeping raw uploads, no consent required', () => {
    const { policy, errors } = resolvePolicy({});
    expect(errors).toEqual([]);
    expect(policy.compliance).toEqual({
      requireConsent: false,
      preset: 'none',
      regions: { default: { people: 'redact', withoutConsent: 'redact', keepMetadata: ['copyright'] } },
      redaction: { method: 'pixelate', marginRatio: 0.25, minScore: 0.5, minFaceSize: 16, plates: true },
      allowedNames: [],
      rawRetentionDays: 0,
    });
  });

  it('expands the gdpr preset: EU faces need consent or are redacted, no author metadata survives', () => {
    const { policy, errors } = resolvePolicy({ compliance: { preset: 'gdpr' } });
    expect(errors).toEqual([]);
    expect(regionRuleFor(policy.compliance, 'DE')).toEqual({
      region: 'DE',
      rule: { people: 'allow', withoutConsent: 'redact', keepMetadata: [] },
    });
    expect(regionRuleFor(policy.compliance, 'EU').rule.people).toBe('allow');
    expect(regionRuleFor(policy.compliance, 'BR')).toEqual({
      region: 'default',
      rule: { people: 'redact', withoutConsent: 'redact', keepMetadata: ['copyright'] },
    });
  });

  it('expands the bipa preset: Illinois refuses faces without consent; explicit regions override it', () => {
    const { policy } = resolvePolicy({
      compliance: { preset: 'bipa', regions: { 'US-TX': { people: 'reject' } } },
    });
    expect(regionRuleFor(policy.compliance, 'US-IL').rule).toMatchObject({
      people: 'allow',
      withoutConsent: 'reject',
    });
    expect(regionRuleFor(policy.compliance, 'us-tx').rule).toEqual({
      people: 'reject',
      withoutConsent: 'redact',
      keepMetadata: [],
    });
    // A state without its own rule falls back to its country, then to default.
    expect(regionRuleFor(policy.compliance, 'US-CA').region).toBe('default');
  });

  it('falls back from a member state to its group', () => {
    const { policy } = resolvePolicy({ compliance: { regions: { EU: { people: 'allow' } } } });
    expect(regionRuleFor(policy.compliance, 'DE').region).toBe('EU');
    expect(regionRuleFor(policy.compliance, 'GB').region).toBe('default');
  });

  it('falls back from a subdivision to its country', () => {
    const { policy } = resolvePolicy({ compliance: { regions: { US: { people: 'reject' } } } });
    expect(regionRuleFor(policy.compliance, 'US-NY')).toMatchObject({
      region: 'US',
      rule: { people: 'reject' },
    });
    expect(regionRuleFor(policy.compliance, '').region).toBe('default');
  });

  it('names the field of every mistake', () => {
    const { errors } = resolvePolicy({
      compliance: {
        preset: 'ccpa',
        regions: { EU: { people: 'maybe' }, 'not a region': { people: 'allow' } },
        redaction: { method: 'swirl', marginRatio: 2 },
        allowedNames: [''],
        rawRetentionDays: -1,
        faces: 'allow',
      },
    });
    expect(errors).toEqual([
      { field: 'compliance.preset', message: 'must be one of none, gdpr, bipa' },
      { field: 'compliance.regions', message: 'EU.people must be one of allow, redact, reject' },
      { field: 'compliance.redaction', message: 'method must be one of pixelate, blur, fill' },
      {
        field: 'compliance.allowedNames',
        message: 'must be a list of at most 1000 names (1..200 characters)',
      },
      { field: 'compliance.rawRetentionDays', message: 'must be an integer from 0 to 36500' },
      { field: 'compliance.faces', message: 'is not a known setting' },
    ]);
    expect(
      resolvePolicy({ compliance: { regions: { 'not a region': { people: 'allow' } } } }).errors,
    ).toEqual([
      {
        field: 'compliance.regions',
        message: '"not a region" is not a region code such as "EU", "US-IL" or "default"',
      },
    ]);
    expect(
      resolvePolicy({ compliance: { regions: { EU: { people: 'allow', keepMetadata: ['gps'] } } } }).errors,
    ).toEqual([
      {
        field: 'compliance.regions',
        message: 'EU.keepMetadata must be a list of distinct names from copyright, artist, description',
      },
    ]);
  });
});
