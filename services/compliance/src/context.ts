import { CoverageCounters } from '@aperture/persistence';
import type { StageContext } from '@aperture/stage-runtime';
import { AuditLog } from './audit/audit-log';
import { ConsentsService } from './consents/consents.service';
import { Erasures } from './erasure/erasure';
import { sceneNoveltyStore, type SceneNovelty } from './content/content';
import { createPrivacyFinder, type PrivacyFinder } from './privacy.repository';

/** What the compliance stage's consumer, gRPC and REST share in one process. */
export interface ComplianceObjects {
  audit: AuditLog;
  erasures: Erasures;
  consents: ConsentsService;
  /** The face and plate models (loaded at start, before the first image). */
  people: PrivacyFinder;
  /** Per-batch and per-campaign counts of what cleared images show (libs/diversity). */
  coverage: CoverageCounters;
  /** Each scene's distance to the project's earlier images of its cluster. */
  scenes: SceneNovelty;
}

/** The compliance service's context: the stage's, with its own objects. */
export type ComplianceContext = StageContext & ComplianceObjects;

/** Builds the service's objects, once, at start (stage.ts). */
export function buildCompliance(ctx: StageContext): ComplianceObjects {
  const audit = new AuditLog(ctx.pipeline.connection);
  const erasures = new Erasures(ctx, audit);
  return {
    audit,
    erasures,
    consents: new ConsentsService(ctx, audit, erasures),
    people: createPrivacyFinder(),
    coverage: new CoverageCounters(ctx.pipeline.connection),
    scenes: sceneNoveltyStore(ctx.pipeline.connection),
  };
}
