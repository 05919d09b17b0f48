import { type complianceV1, curatedV1 } from '@aperture/contracts';
import type { ProjectPolicy } from '@aperture/persistence';
import type { DecisionDoc } from './tasks.model';

export interface CuratedInput {
  /** The accepted annotation; absent for a project that needs none. */
  decision?: Pick<DecisionDoc, 'annotationJson'>;
  policy: ProjectPolicy;
}

/** The curated record of a cleared image: the output is the cleared derivative. */
export function curatedEvent(cleared: complianceV1.ImageCleared, input: CuratedInput): Uint8Array {
  return curatedV1.ImageCurated.encode({
    image: cleared.image,
    quality: cleared.quality,
    standardize: cleared.standardize,
    compliance: cleared.compliance,
    output: cleared.compliance?.cleared,
    annotationJson: input.decision?.annotationJson ?? '',
    curatedAt: new Date().toISOString(),
  }).finish();
}
