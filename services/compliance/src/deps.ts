import type { StageContext } from '@aperture/stage-runtime';
import type { PixelBuffer } from '@aperture/standardization';
import { CoverageCounters, type RedactionMethod } from '@aperture/persistence';
import { AuditLog } from './audit/audit-log';
import { Erasures } from './erasure/erasure';
import { createPrivacyFinder } from './privacy.repository';

/** A detected face or plate in upright pixels of the image it was found in. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  /** A face's five landmarks x0, y0, ..., x4, y4 (eyes, nose tip, mouth corners). */
  landmarks?: number[];
}

/** A COCO object the object model found, in upright pixels. */
export interface ObjectBox extends FaceBox {
  label: string;
}

/** The face and plate models and the redaction, behind one adapter (privacy.repository.ts). */
export interface PrivacyFinder {
  /**
   * Checks the model files and loads them in the worker pool: rejects with a ModelFileError naming
   * a missing or damaged file, so the service fails at start rather than in the middle of a batch.
   */
  start(): Promise<void>;
  /**
   * Faces scoring at least `minScore`, down to `minFaceSize` px, plates when asked, and COCO
   * objects (for the content descriptors); each model as "name@version" ('' for plates when not
   * asked).
   */
  find(
    image: Buffer,
    settings: { minScore: number; minFaceSize: number; plates: boolean },
  ): Promise<{
    faces: FaceBox[];
    plates: FaceBox[];
    objects: ObjectBox[];
    width: number;
    height: number;
    faceDetector: string;
    plateDetector: string;
    objectDetector: string;
  }>;
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
  people: PrivacyFinder;
  coverage: CoverageCounters;
}

const byContext = new WeakMap<StageContext, ComplianceDeps>();

/** The stage's shared objects, made on first use (the face model loads on its first image). */
export function complianceDeps(ctx: StageContext): ComplianceDeps {
  let deps = byContext.get(ctx);
  if (!deps) {
    const audit = new AuditLog(ctx.pipeline.connection);
    deps = {
      audit,
      erasures: new Erasures(ctx, audit),
      people: createPrivacyFinder(),
      coverage: new CoverageCounters(ctx.pipeline.connection),
    };
    byContext.set(ctx, deps);
  }
  return deps;
}
