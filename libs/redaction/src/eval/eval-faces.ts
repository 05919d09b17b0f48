// scripts/eval-faces runs this (compiled): the face detector over the evaluation set, printing
// recall and precision at the detector's threshold, overall, for faces of at least 24 px and per
// size bucket. Arguments: [--min-score S] [--json].
import { createFaceDetector, DEFAULT_MIN_SCORE } from '../face-detector.repository';
import { composites, labelledPhotos } from './eval-set';
import { evaluate, MATCH_IOU, type ImageResult } from './evaluation';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--min-score');
  const minScore = at >= 0 ? Number(args[at + 1]) : DEFAULT_MIN_SCORE;
  const json = args.includes('--json');
  // --scales 0.5,1: the tiled pyramid levels (default: the detector's), to compare plans.
  const scalesAt = args.indexOf('--scales');
  const scales = scalesAt >= 0 ? args[scalesAt + 1]!.split(',').map(Number) : undefined;
  const detector = createFaceDetector({ minScore, ...(scales && { tiles: { scales } }) });
  try {
    const images = [...(await labelledPhotos()), ...(await composites())];
    const results: ImageResult[] = [];
    const started = Date.now();
    for (const image of images) {
      const t0 = Date.now();
      const { faces } = await detector.detect(image.input);
      results.push({ labels: image.faces, detections: faces });
      const one = evaluate([{ labels: image.faces, detections: faces }]);
      process.stderr.write(
        `${image.name}: ${one.truePositives}/${one.labels} faces found, ${faces.length} boxes, ${Date.now() - t0} ms\n`,
      );
    }
    const report = evaluate(results);
    const model = await detector.model();
    if (json) {
      process.stdout.write(`${JSON.stringify({ model, minScore, matchIou: MATCH_IOU, ...report })}\n`);
      return;
    }
    const pct = (x: number) => x.toFixed(3);
    const lines = [
      `model ${model.name} (${model.version}), min score ${minScore}, match IoU >= ${MATCH_IOU}`,
      `${report.images} images, ${report.labels} labelled faces, ${report.detections} detections, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `overall        recall ${pct(report.recall)} (${report.truePositives}/${report.labels})  precision ${pct(report.precision)}`,
      `faces >= 24 px recall ${pct(report.atLeast24.recall)} (${report.atLeast24.found}/${report.atLeast24.labels})  precision ${pct(report.precisionAtLeast24)}`,
      ...report.buckets.map(
        (b) => `  ${b.label.padEnd(12)} recall ${pct(b.recall)} (${b.found}/${b.labels})`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await detector.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`eval-faces: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
