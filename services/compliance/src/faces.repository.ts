// The face model and the redaction of @aperture/redaction, behind the one adapter the stage uses.
// The detector (a worker thread holding the model) starts on the first image and is reused.
import { createFaceDetector, type FaceDetector, redactPixels } from '@aperture/redaction';
import type { FaceBox, PeopleFinder } from './deps';
import { tileScalesFor } from './domain/tiles';

/**
 * One detector serves every project, so it runs at the lowest threshold a policy may ask for
 * (`compliance.redaction.minScore` is validated to 0.2..0.99); each project's threshold then filters.
 */
const DETECTOR_FLOOR = 0.2;

export function createPeopleFinder(): PeopleFinder {
  let detector: FaceDetector | undefined;
  return {
    async findFaces(image, { minScore, minFaceSize, width, height }) {
      detector ??= createFaceDetector({ minScore: DETECTOR_FLOOR });
      const found = await detector.detect(image, {
        tiles: { scales: tileScalesFor(minFaceSize, width, height) },
      });
      const faces: FaceBox[] = found.faces
        .filter((face) => face.score >= minScore)
        .map(({ x, y, width, height, score }) => ({ x, y, width, height, score }));
      return { faces, detector: `${found.model.name}@${found.model.version}` };
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
