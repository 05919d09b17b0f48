import type { commonV1 } from '@aperture/contracts';
import { type RegionRule, regionLineage } from '@aperture/policy';

/** A consent as the people rule needs it (already checked valid at the decision's time). */
export interface ValidConsent {
  consentId: string;
  scopes: readonly string[];
  regions: readonly string[];
}

/** The scopes under which a face may stay visible. */
export const FACE_SCOPES = ['faces', 'full_body'] as const;

export type PeopleDecision =
  | { outcome: 'none' | 'allowed' | 'redacted'; rule: string; consentId?: string }
  | { outcome: 'rejected'; rule: string; reason: commonV1.Reason };

/**
 * Whether a consent's regions cover the image's: none listed means everywhere; "US" covers
 * "US-IL", "EU" covers "DE".
 */
export function consentCoversRegion(consent: Pick<ValidConsent, 'regions'>, region: string): boolean {
  if (consent.regions.length === 0) return true;
  const covered = regionLineage(region);
  return consent.regions.some((listed) => covered.includes(listed.trim().toUpperCase()));
}

/**
 * What a region's rule does with an image in which `faceCount` faces were detected: nothing to do
 * without faces; `reject` refuses it (faces_not_allowed); `redact` redacts; `allow` keeps the faces
 * when a valid declared consent covers faces in the image's region, else falls back to the rule's
 * `withoutConsent` (redact, or refuse with consent_missing). The rule text goes to the audit log.
 */
export function decidePeople(input: {
  rule: RegionRule;
  /** The policy region whose rule applies ("EU", "default"). */
  ruleRegion: string;
  /** The region the batch declared ("" when none). */
  declaredRegion: string;
  faceCount: number;
  consents: readonly ValidConsent[];
}): PeopleDecision {
  const { rule, ruleRegion, faceCount } = input;
  const where = `region ${ruleRegion}: people ${rule.people}`;
  if (faceCount === 0) return { outcome: 'none', rule: `${where}; no face detected` };
  if (rule.people === 'reject')
    return {
      outcome: 'rejected',
      rule: where,
      reason: {
        code: 'faces_not_allowed',
        message: `${faceCount} face(s) detected and the policy for region ${ruleRegion} refuses images of people`,
      },
    };
  if (rule.people === 'redact') return { outcome: 'redacted', rule: where };
  const covering = input.consents.find(
    (consent) =>
      consent.scopes.some((scope) => (FACE_SCOPES as readonly string[]).includes(scope)) &&
      consentCoversRegion(consent, input.declaredRegion),
  );
  if (covering)
    return {
      outcome: 'allowed',
      rule: `${where}; consent ${covering.consentId}`,
      consentId: covering.consentId,
    };
  const fallback = `${where}; no consent covers faces in ${input.declaredRegion || 'an undeclared region'} → ${rule.withoutConsent}`;
  if (rule.withoutConsent === 'redact') return { outcome: 'redacted', rule: fallback };
  return {
    outcome: 'rejected',
    rule: fallback,
    reason: {
      code: 'consent_missing',
      message: `${faceCount} face(s) detected and region ${ruleRegion} needs a consent covering faces (scope ${FACE_SCOPES.join(' or ')}) in ${input.declaredRegion || 'the declared region'}`,
    },
  };
}
