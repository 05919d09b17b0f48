// What the content descriptors add to the compliance stage per image, on real photos (the camera
// corpus, 8-12 MP phone photos included, and the WIDER / street scenes of ../shared/eval), in CPU
// milliseconds (process.cpuUsage: every thread, the detector's workers included):
//   descriptors: decoding the standardize thumbnail (256 px, as the stage gets it) to 96 px and
//                describeContent: lighting, head pose, tilt, distance, occlusion, content, scene;
//   object pass: the object model (CenterNet, 512 x 512) on the upright image, measured as the
//                privacy detector's run with objects minus the same run without.
//   scripts/bench content [ROUNDS]    default 3 rounds, medians
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { createPrivacyDetector, decodeUpright } from '@aperture/redaction';
import { corpusPath, evalPath } from '@aperture/testing';

import { describeContent } from '../describe';
import { smallOf, thumbnailOf } from '../eval/thumbnail';

const PHOTOS = [
  corpusPath('cameras/jpg/mobile/HMD_Nokia_8.3_5G.jpg'),
  corpusPath('cameras/heic/mobile/iphone_13_pro_max.HEIC'),
  corpusPath('cameras/jpg/mobile/jolla.jpg'),
  corpusPath('cameras/jpg/Reconyx_HC500_Hyperfire.jpg'),
  evalPath('faces/33_Running_Running_33_316.jpg'),
  evalPath('faces/12_Group_Group_12_Group_Group_12_249.jpg'),
  evalPath('faces/noface_detectron_34501842524_street.jpg'),
  evalPath('plates/openalpr_us_0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg'),
].filter((path): path is string => path !== undefined);

const cpuMs = async (run: () => Promise<unknown>): Promise<number> => {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  process.stdout.write(
    `${JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg().map((x) => +x.toFixed(2)), cores: cpus().length })}\n`,
  );
  const detector = createPrivacyDetector({ objects: true });
  await detector.ready;
  const totals = { descriptors: [] as number[], objects: [] as number[] };
  try {
    for (const path of PHOTOS) {
      const bytes = readFileSync(path);
      const upright = await decodeUpright(bytes);
      const thumbnail = await thumbnailOf(bytes);
      await detector.detect(upright, { objects: true }); // warm-up, not counted
      const found = await detector.detect(upright, { objects: true });
      const describe = async () => {
        const small = await smallOf(thumbnail);
        return describeContent({
          small,
          width: found.width,
          height: found.height,
          faces: found.faces,
          objects: found.objects,
        });
      };
      const descriptorMs: number[] = [];
      const withObjects: number[] = [];
      const without: number[] = [];
      for (let round = 0; round < rounds; round++) {
        descriptorMs.push(await cpuMs(describe));
        withObjects.push(await cpuMs(() => detector.detect(upright, { objects: true })));
        without.push(await cpuMs(() => detector.detect(upright, { objects: false })));
      }
      const d = median(descriptorMs);
      const o = Math.max(0, median(withObjects) - median(without));
      totals.descriptors.push(d);
      totals.objects.push(o);
      const described = await describe();
      process.stdout.write(
        `${path.split('/').pop()!.padEnd(48)} ${`${upright.width}x${upright.height}`.padEnd(10)} descriptors ${d.toFixed(1)} ms CPU  object pass ${o.toFixed(0)} ms CPU  (detector with objects ${median(withObjects).toFixed(0)} ms)  ${described.content.classes.map((c) => `${c.label}×${c.count}`).join(' ') || 'no objects'}\n`,
      );
    }
  } finally {
    await detector.close();
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  process.stdout.write(
    `mean over ${PHOTOS.length} photos: descriptors ${mean(totals.descriptors).toFixed(1)} ms CPU per image; object pass ${mean(totals.objects).toFixed(0)} ms CPU per image (median of ${rounds} rounds each)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
