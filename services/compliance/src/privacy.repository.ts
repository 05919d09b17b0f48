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
import type { PrivacyFinder } from './deps';

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
