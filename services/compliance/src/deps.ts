import type { StageContext } from '@aperture/stage-runtime';
import type { PixelBuffer } from '@aperture/standardization';
import type { RedactionMethod } from '@aperture/persistence';
import { AuditLog } from './audit/audit-log';
import { Erasures } from './erasure/erasure';
import { createPeopleFinder } from './faces.repository';

/** A detected face in upright pixels of the image it was found in. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** The face model and the redaction, behind one adapter (faces.repository.ts). */
export interface PeopleFinder {
  /**
   * Faces scoring at least `minScore`, down to `minFaceSize` px (which sets how many tile levels
   * run: tiles.ts), and the model's "name@version".
   */
  findFaces(
    image: Buffer,
    options: { minScore: number; minFaceSize: number; width: number; height: number },
  ): Promise<{ faces: FaceBox[]; detector: string }>;
  /** Redacts each box and a margin around it, in place and irreversibly. */
  redact(
    pixels: PixelBuffer,
    boxes: readonly FaceBox[],
    options: { method: RedactionMethod; marginRatio: number },
  ): void;
  close(): Promise<void>;
}

/** What the compliance stage's consumer, gRPC and REST share in one process. */
export interface ComplianceDeps {
  audit: AuditLog;
  erasures: Erasures;
  people: PeopleFinder;
}

const byContext = new WeakMap<StageContext, ComplianceDeps>();

/** The stage's shared objects, made on first use (the face model loads on its first image). */
export function complianceDeps(ctx: StageContext): ComplianceDeps {
  let deps = byContext.get(ctx);
  if (!deps) {
    const audit = new AuditLog(ctx.pipeline.connection);
    deps = { audit, erasures: new Erasures(ctx, audit), people: createPeopleFinder() };
    byContext.set(ctx, deps);
  }
  return deps;
}
