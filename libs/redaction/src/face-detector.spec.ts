// The real model on real photos: these tests load SSD-MobileNet v1 in its worker and can fail if
// tiling, mapping or merging regress. The full figures come from scripts/eval-faces.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { sharp } from '@aperture/imaging';

import { composites, labelledPhotos, type EvalImage } from './eval/eval-set';
import { evaluate } from './eval/evaluation';
import { createFaceDetector, type FaceDetector } from './face-detector.repository';

// Inference on 2 shared cores: a photo takes seconds, the composite tens of seconds.
jest.setTimeout(240_000);

let detector: FaceDetector;
let photos: EvalImage[];
beforeAll(async () => {
  detector = createFaceDetector();
  photos = await labelledPhotos();
});
afterAll(() => detector.close());

describe('createFaceDetector', () => {
  it('names the model it runs', async () => {
    await expect(detector.model()).resolves.toEqual({
      name: 'ssd_mobilenetv1',
      version: '@vladmandic/face-api@1.7.15',
    });
  });

  it('finds the labelled faces of real photos', async () => {
    const chosen = photos.filter((p) => /sample[15]\.jpg$/.test(p.name));
    const results = [];
    for (const photo of chosen) {
      const found = await detector.detect(photo.input);
      expect(found.width).toBeGreaterThan(1000);
      for (const face of found.faces) expect(face.score).toBeGreaterThanOrEqual(0.5);
      results.push({ labels: photo.faces, detections: found.faces });
    }
    const report = evaluate(results);
    expect(report.recall).toBe(1);
    expect(report.precision).toBeGreaterThanOrEqual(0.85);
  });

  it('finds small faces (24-40 px) in a bigger frame, thanks to the tiles', async () => {
    // The six photos at 0.17 scale on a 2000 x 1500 canvas: 22 faces 25-37 px wide.
    const [composite] = await composites([0.17], { width: 2000, height: 1500 });
    const found = await detector.detect(composite!.input);
    const report = evaluate([{ labels: composite!.faces, detections: found.faces }]);
    expect(report.atLeast24.labels).toBeGreaterThanOrEqual(20);
    expect(report.atLeast24.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('reports boxes in the upright pixels of an EXIF-rotated photo', async () => {
    const upright = photos.find((p) => p.name.endsWith('sample1.jpg'))!;
    // Stored turned a quarter to the left, with orientation 6 ("rotate 90° clockwise to display").
    const rotated = await sharp(upright.input as Buffer)
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const found = await detector.detect(rotated);
    expect([found.width, found.height]).toEqual([1920, 1280]);
    expect(evaluate([{ labels: upright.faces, detections: found.faces }]).recall).toBe(1);
  });

  it('keeps the event loop free while it works', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    await detector.detect(photos[1]!.input);
    const elapsed = Date.now() - started;
    delay.disable();
    // Detection takes seconds; the main thread only decodes (in libvips threads) and maps boxes.
    expect(elapsed).toBeGreaterThan(500);
    expect(delay.max / 1e6).toBeLessThan(Math.max(250, elapsed / 4));
  });

  it('refuses a bad threshold, and work after close', async () => {
    expect(() => createFaceDetector({ minScore: 1.5 })).toThrow(/minScore/);
    await expect(detector.detect({ data: new Uint8Array(10), width: 3, height: 3 })).rejects.toThrow(
      /does not fit 3x3/,
    );
    const other = createFaceDetector();
    await other.close();
    await expect(other.detect(photos[0]!.input)).rejects.toThrow(/closed/);
  });
});
