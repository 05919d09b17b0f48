// The privacy detector and the redaction of @aperture/redaction, behind the one adapter the stage
// uses: the same detector.detect and redactPixels as `aperture redact` (detectAndRedactPixels).
// The detector (its model files checked, then a worker pool loading them) starts with the service:
// a missing or damaged model file stops the start with an error naming the file.
import {
  createPrivacyDetector,
  decodeUpright,
  type PrivacyDetector,
  redactPixels,
} from '@aperture/redaction';
import type { PixelBuffer } from '@aperture/standardization';
import type { RedactionMethod } from '@aperture/policy';

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

export function createPrivacyFinder(): PrivacyFinder {
  let detector: PrivacyDetector | undefined;
  const start = (): PrivacyDetector => (detector ??= createPrivacyDetector({ objects: true }));
  return {
    async start() {
      await start().ready;
    },
    async find(image, settings) {
      const found = await start().detect(await decodeUpright(image), { ...settings, objects: true });
      const named = (model: { name: string; version: string } | undefined) =>
        model ? `${model.name}@${model.version}` : '';
      return {
        faces: found.faces,
        plates: found.plates,
        objects: found.objects,
        width: found.width,
        height: found.height,
        faceDetector: named(found.models.faces),
        plateDetector: named(found.models.plates),
        objectDetector: named(found.models.objects),
      };
    },
    redact(pixels, boxes, options) {
      const { data } = redactPixels(pixels, boxes, options);
      pixels.data.set(data);
    },
    async close() {
      await detector?.close();
      detector = undefined;
    },
  };
}
