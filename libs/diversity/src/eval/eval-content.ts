// How well each content descriptor agrees with labelled real photos (issue 24, point 2), printed as
// the Markdown of libs/diversity/docs/validity.md. Everything runs as the compliance stage runs it:
// the privacy detector with objects (faces with landmarks, COCO objects) on the upright pixels, a
// 256 px thumbnail decoded to 96 px, describeContent. Labels:
//   - WIDER FACE's per-face pose (typical / atypical), occlusion (none / partial / heavy) and
//     illumination (normal / extreme) in ../shared/eval/faces (see its README), on the valid faces
//     at least 24 px wide that the detector found (IoU ≥ 0.3);
//   - the WIDER event in each file name (the kind of scene), for the scene descriptor;
//   - indoor / outdoor and day / dusk as the eval README's description column states them (the
//     table PLACE below quotes what each decision rests on);
//   - people and vehicles: WIDER's face counts, the face-free photos, the plate photos (a vehicle
//     in each).
//   scripts/eval-content            the Markdown report on stdout, per-photo lines on stderr
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import {
  createPrivacyDetector,
  decodeUpright,
  evalDir,
  evalPhotos,
  type EvalPhoto,
} from '@aperture/redaction';

import { describeContent, type ContentDescriptors } from '../describe';
import { headPose } from '../pose';
import { lumaOf, meanIn } from '../pixels';
import { sceneDistance } from '../scene';
import { smallOf, thumbnailOf } from './thumbnail';

/**
 * Indoor / outdoor and the light of each face photo, from the eval README's description column
 * (quoted); WIDER events that are outdoor by nature (Parade, Running, Tennis) say so too.
 */
const PLACE: Record<string, { place: 'indoor' | 'outdoor'; light: 'day' | 'dusk'; because: string }> = {
  '0_Parade_marchingband_1_20.jpg': { place: 'outdoor', light: 'day', because: 'Marching band on a street' },
  '0_Parade_marchingband_1_234.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'posed in rows on bleachers',
  },
  '0_Parade_marchingband_1_329.jpg': { place: 'outdoor', light: 'day', because: 'group photo on a lawn' },
  '0_Parade_marchingband_1_488.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'on a lawn in front of a castle-like building',
  },
  '0_Parade_marchingband_1_629.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'lined up on a path in front of a building',
  },
  '0_Parade_marchingband_1_465.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'on a sports field seen from the stands',
  },
  '12_Group_Group_12_Group_Group_12_249.jpg': { place: 'indoor', light: 'day', because: 'Lab group photo' },
  '12_Group_Group_12_Group_Group_12_728.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'Six people posing close to the camera (on a balcony above a street: checked by eye)',
  },
  '39_Ice_Skating_iceskiing_39_351.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'Two men at an outdoor table',
  },
  '9_Press_Conference_Press_Conference_9_632.jpg': {
    place: 'indoor',
    light: 'day',
    because: 'Studio head-and-shoulders portrait',
  },
  '13_Interview_Interview_2_People_Visible_13_189.jpg': {
    place: 'indoor',
    light: 'day',
    because: 'Meeting photo',
  },
  '15_Stock_Market_Stock_Market_15_241.jpg': { place: 'indoor', light: 'day', because: 'TV studio desk' },
  '33_Running_Running_33_316.jpg': { place: 'outdoor', light: 'day', because: 'Track race' },
  '38_Tennis_Tennis_38_452.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'Tennis team lined up on a court',
  },
  'noface_darknet_dog.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'Porch with dog and bicycle; parked pickup on the street behind',
  },
  'noface_darknet_horses.jpg': { place: 'outdoor', light: 'day', because: 'Landscape: horses on grassland' },
  'noface_darknet_eagle.jpg': { place: 'outdoor', light: 'day', because: 'Eagle standing at water edge' },
  'noface_skimage_coffee.png': { place: 'indoor', light: 'day', because: 'espresso cup on wooden table' },
  'noface_skimage_rocket.jpg': { place: 'outdoor', light: 'dusk', because: 'Rocket on launch pad at dusk' },
  'noface_skimage_motorcycle_left.png': { place: 'indoor', light: 'day', because: 'Motorcycle in a garage' },
  'noface_detectron_34501842524_street.jpg': {
    place: 'outdoor',
    light: 'day',
    because: 'Street corner with STOP sign',
  },
};

interface Described {
  photo: EvalPhoto;
  set: 'faces' | 'plates';
  descriptors: ContentDescriptors;
  faces: Array<{ x: number; y: number; width: number; height: number; score: number; landmarks?: number[] }>;
  width: number;
  height: number;
  small: { data: Uint8Array; width: number; height: number };
}

const iou = (a: { x: number; y: number; width: number; height: number }, b: typeof a) => {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
};

/** Area under the ROC curve: the chance that a positive scores above a negative (ties count half). */
function auc(positives: number[], negatives: number[]): number {
  if (positives.length === 0 || negatives.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

const mean = (values: number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
const f = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const pct = (hits: number, total: number) =>
  total ? `${hits}/${total} (${Math.round((hits / total) * 100)} %)` : '–';

async function describePhoto(
  detector: ReturnType<typeof createPrivacyDetector>,
  photo: EvalPhoto,
  set: 'faces' | 'plates',
): Promise<Described> {
  const bytes = readFileSync(photo.path);
  const upright = await decodeUpright(bytes);
  const found = await detector.detect(upright, { objects: true });
  const small = await smallOf(await thumbnailOf(bytes));
  const descriptors = describeContent({
    small,
    width: found.width,
    height: found.height,
    faces: found.faces,
    objects: found.objects,
  });
  return { photo, set, descriptors, faces: found.faces, width: found.width, height: found.height, small };
}

async function main(): Promise<void> {
  const dir = evalDir();
  if (!dir) throw new Error('the evaluation set ../shared/eval is needed (or APERTURE_EVAL_DIR)');
  const detector = createPrivacyDetector({ objects: true });
  await detector.ready;
  const all: Described[] = [];
  try {
    for (const set of ['faces', 'plates'] as const)
      for (const photo of evalPhotos(dir, set)) {
        const described = await describePhoto(detector, photo, set);
        all.push(described);
        const d = described.descriptors;
        process.stderr.write(
          `${photo.name}: ${d.lighting.timeOfDay} ${d.lighting.place}${d.lighting.backlit ? ' backlit' : ''} · view ${d.viewpoint.bucket}${d.viewpoint.cameraTilt !== undefined ? ` tilt ${d.viewpoint.cameraTilt}°` : ''} · ${d.distance.bucket} · ${d.occlusion.bucket} · ${d.content.classes.map((c) => `${c.label}×${c.count}`).join(' ') || 'nothing'} · scene ${d.scene.cluster}\n`,
        );
      }
  } finally {
    await detector.close();
  }
  const faceSet = all.filter((d) => d.set === 'faces');
  const out: string[] = [];
  out.push(
    `Made by \`scripts/eval-content\` on ${new Date().toISOString().slice(0, 16)} UTC, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(
        ' ',
      )} on ${cpus().length} cores; ${faceSet.length} face-set photos and ${all.length - faceSet.length} plate-set photos of ../shared/eval.`,
  );

  // Per-face labels: valid WIDER faces ≥ 24 px wide matched by a detection (IoU ≥ 0.3).
  const matched: Array<{
    wider: NonNullable<EvalPhoto['boxes'][number]['wider']>;
    yaw: number;
    pitch: number;
    roll: number;
    score: number;
    relLuma: number;
    covered: boolean;
  }> = [];
  let labelled = 0;
  for (const d of faceSet) {
    const luma = lumaOf(d.small);
    const imageLuma = mean(Array.from(luma));
    for (const box of d.photo.boxes) {
      if (box.ignore || !box.wider || box.width < 24) continue;
      labelled++;
      const best = d.faces
        .map((face) => ({ face, overlap: iou(face, box) }))
        .sort((a, b) => b.overlap - a.overlap)[0];
      if (!best || best.overlap < 0.3) continue;
      const pose = headPose(best.face.landmarks);
      if (!pose) continue;
      const faceLuma =
        meanIn(luma, d.small.width, d.small.height, {
          x: box.x / d.width,
          y: box.y / d.height,
          width: box.width / d.width,
          height: box.height / d.height,
        }) ?? imageLuma;
      const lm = best.face.landmarks ?? [];
      const covered = lm.some((value, j) =>
        j % 2 === 0
          ? value < best.face.x - best.face.width * 0.1 || value > best.face.x + best.face.width * 1.1
          : value < best.face.y - best.face.height * 0.1 || value > best.face.y + best.face.height * 1.1,
      );
      matched.push({
        wider: box.wider,
        ...pose,
        score: best.face.score,
        relLuma: faceLuma / Math.max(1, imageLuma),
        covered,
      });
    }
  }
  out.push('', "## Viewpoint: head pose against WIDER's pose label", '');
  out.push(`${matched.length} of ${labelled} valid faces ≥ 24 px found and given a pose (IoU ≥ 0.3).`, '');
  const atypical = matched.filter((m) => m.wider.pose === 1);
  const typical = matched.filter((m) => m.wider.pose === 0);
  const turn = (m: (typeof matched)[number]) =>
    Math.max(Math.abs(m.yaw), Math.abs(m.pitch), Math.abs(m.roll));
  out.push('| measure | typical | atypical | AUC (atypical scores higher) |', '|---|---|---|---|');
  out.push(`| faces | ${typical.length} | ${atypical.length} | |`);
  out.push(
    `| mean \\|yaw\\| | ${f(mean(typical.map((m) => Math.abs(m.yaw))), 1)}° | ${f(mean(atypical.map((m) => Math.abs(m.yaw))), 1)}° | ${f(
      auc(
        atypical.map((m) => Math.abs(m.yaw)),
        typical.map((m) => Math.abs(m.yaw)),
      ),
    )} |`,
  );
  out.push(
    `| mean \\|pitch\\| | ${f(mean(typical.map((m) => Math.abs(m.pitch))), 1)}° | ${f(mean(atypical.map((m) => Math.abs(m.pitch))), 1)}° | ${f(
      auc(
        atypical.map((m) => Math.abs(m.pitch)),
        typical.map((m) => Math.abs(m.pitch)),
      ),
    )} |`,
  );
  out.push(
    `| mean \\|roll\\| | ${f(mean(typical.map((m) => Math.abs(m.roll))), 1)}° | ${f(mean(atypical.map((m) => Math.abs(m.roll))), 1)}° | ${f(
      auc(
        atypical.map((m) => Math.abs(m.roll)),
        typical.map((m) => Math.abs(m.roll)),
      ),
    )} |`,
  );
  out.push(
    `| max of the three | ${f(mean(typical.map(turn)), 1)}° | ${f(mean(atypical.map(turn)), 1)}° | ${f(auc(atypical.map(turn), typical.map(turn)))} |`,
  );
  out.push(
    `| not "frontal" (\\|yaw\\| ≥ 25°) | ${pct(typical.filter((m) => Math.abs(m.yaw) >= 25).length, typical.length)} | ${pct(atypical.filter((m) => Math.abs(m.yaw) >= 25).length, atypical.length)} | |`,
  );

  out.push('', "## Occlusion against WIDER's occlusion label", '');
  const occluded = matched.filter((m) => m.wider.occlusion > 0);
  const clear = matched.filter((m) => m.wider.occlusion === 0);
  out.push('| measure | no occlusion | partial or heavy | AUC |', '|---|---|---|---|');
  out.push(`| faces | ${clear.length} | ${occluded.length} | |`);
  out.push(
    `| flagged partly covered (landmark outside the box) | ${pct(clear.filter((m) => m.covered).length, clear.length)} | ${pct(occluded.filter((m) => m.covered).length, occluded.length)} | |`,
  );
  out.push(
    `| 1 − detector score (a covered face scores lower) | ${f(mean(clear.map((m) => 1 - m.score)))} | ${f(mean(occluded.map((m) => 1 - m.score)))} | ${f(
      auc(
        occluded.map((m) => 1 - m.score),
        clear.map((m) => 1 - m.score),
      ),
    )} |`,
  );

  out.push('', "## Lighting against WIDER's illumination label", '');
  const extreme = matched.filter((m) => m.wider.illumination === 1);
  const normal = matched.filter((m) => m.wider.illumination === 0);
  const dev = (m: (typeof matched)[number]) => Math.abs(Math.log(Math.max(0.05, m.relLuma)));
  out.push('| measure | normal | extreme | AUC |', '|---|---|---|---|');
  out.push(`| faces | ${normal.length} | ${extreme.length} | |`);
  out.push(
    `| face luma / picture luma | ${f(mean(normal.map((m) => m.relLuma)))} | ${f(mean(extreme.map((m) => m.relLuma)))} | ${f(auc(extreme.map(dev), normal.map(dev)))} (\\|log ratio\\|) |`,
  );
  const backlitPhotos = faceSet.filter((d) => d.descriptors.lighting.backlit).map((d) => d.photo.name);
  out.push('', `Photos called backlit: ${backlitPhotos.length ? backlitPhotos.join(', ') : 'none'}.`);

  out.push('', "## Indoor / outdoor and time of day against the README's descriptions", '');
  out.push(
    '| photo | label (README) | place | time of day | sky | greenery | luma |',
    '|---|---|---|---|---|---|---|',
  );
  let placeHits = 0;
  let lightHits = 0;
  for (const d of faceSet) {
    const label = PLACE[d.photo.name];
    if (!label) continue;
    const l = d.descriptors.lighting;
    if (l.place === label.place) placeHits++;
    if (l.timeOfDay === label.light) lightHits++;
    out.push(
      `| ${d.photo.name} | ${label.place}, ${label.light} ("${label.because}") | ${l.place}${l.place === label.place ? '' : ' ✗'} | ${l.timeOfDay}${l.timeOfDay === label.light ? '' : ' ✗'} | ${f(l.sky)} | ${f(l.greenery)} | ${f(l.luminance, 0)} |`,
    );
  }
  const labelledPlaces = faceSet.filter((d) => PLACE[d.photo.name]).length;
  out.push(
    '',
    `Place agrees on ${pct(placeHits, labelledPlaces)}; time of day on ${pct(lightHits, labelledPlaces)}. The plate set (car parks and roads, all outdoor by day): ${pct(all.filter((d) => d.set === 'plates' && d.descriptors.lighting.place === 'outdoor').length, all.length - faceSet.length)} called outdoor, ${pct(all.filter((d) => d.set === 'plates' && d.descriptors.lighting.timeOfDay === 'day').length, all.length - faceSet.length)} called day.`,
  );

  out.push('', '## Content against face counts, face-free photos and plate photos', '');
  out.push('| photo | valid WIDER faces | people counted | classes |', '|---|---|---|---|');
  for (const d of faceSet) {
    const valid = d.photo.boxes.filter((b) => !b.ignore).length;
    out.push(
      `| ${d.photo.name} | ${valid} | ${d.descriptors.content.people} | ${d.descriptors.content.classes.map((c) => `${c.label} ${c.count}`).join(', ') || '–'} |`,
    );
  }
  const plates = all.filter((d) => d.set === 'plates');
  const noface = faceSet.filter((d) => d.photo.boxes.length === 0);
  out.push(
    '',
    `Face-free photos with no person counted: ${pct(noface.filter((d) => d.descriptors.content.people === 0).length, noface.length)}. Plate photos (each shows a vehicle) with a vehicle counted: ${pct(plates.filter((d) => d.descriptors.content.vehicles > 0).length, plates.length)}.`,
  );

  out.push('', "## Subject distance: from the detections against the same rule on WIDER's boxes", '');
  let distanceHits = 0;
  let distanceTotal = 0;
  for (const d of faceSet) {
    const valid = d.photo.boxes.filter((b) => !b.ignore);
    if (valid.length === 0) continue;
    const share = (Math.max(...valid.map((b) => b.height)) * 3) / d.height;
    const truth = share >= 0.9 ? 'close-up' : share >= 0.45 ? 'near' : share >= 0.15 ? 'medium' : 'far';
    distanceTotal++;
    if (truth === d.descriptors.distance.bucket) distanceHits++;
    else
      out.push(
        `- ${d.photo.name}: labelled boxes say ${truth}, detections ${d.descriptors.distance.bucket} (${d.descriptors.distance.subjectHeight})`,
      );
  }
  out.push('', `Agreement: ${pct(distanceHits, distanceTotal)} of the photos with faces.`);

  out.push('', '## Camera tilt', '');
  const tilts = all.filter((d) => d.descriptors.viewpoint.cameraTilt !== undefined);
  out.push(
    `Measurable on ${pct(tilts.length, all.length)} photos. The one photo the README calls tilted (12_Group_..._249, "camera tilted"): ${f(all.find((d) => d.photo.name.startsWith('12_Group_Group_12_Group_Group_12_249'))?.descriptors.viewpoint.cameraTilt ?? Number.NaN, 1)}°. The others: ${tilts
      .filter((d) => !d.photo.name.startsWith('12_Group_Group_12_Group_Group_12_249'))
      .map((d) => `${f(d.descriptors.viewpoint.cameraTilt!, 1)}°`)
      .join(', ')}.`,
  );

  out.push('', '## Scene descriptor against the WIDER event (kind of scene)', '');
  const events = faceSet
    .filter((d) => d.photo.boxes.length > 0)
    .map((d) => ({ d, event: d.photo.name.split('_')[1]! }));
  let nnHits = 0;
  const withPeers = events.filter((e) => events.some((o) => o !== e && o.event === e.event));
  for (const e of withPeers) {
    const nearest = events
      .filter((o) => o !== e)
      .sort(
        (a, b) =>
          sceneDistance(e.d.descriptors.scene.descriptor, a.d.descriptors.scene.descriptor) -
          sceneDistance(e.d.descriptors.scene.descriptor, b.d.descriptors.scene.descriptor),
      )[0]!;
    if (nearest.event === e.event) nnHits++;
  }
  const chance = mean(
    withPeers.map((e) => events.filter((o) => o !== e && o.event === e.event).length / (events.length - 1)),
  );
  out.push(
    `Nearest other photo (scene distance) of the same event: ${pct(nnHits, withPeers.length)} of the ${withPeers.length} photos whose event has another photo (chance ${Math.round(chance * 100)} %).`,
  );
  const clusters = new Map<string, string[]>();
  for (const d of all)
    clusters.set(d.descriptors.scene.cluster, [
      ...(clusters.get(d.descriptors.scene.cluster) ?? []),
      d.set === 'plates' ? 'plate' : (d.photo.name.split('_')[1] ?? '?'),
    ]);
  out.push('', `${clusters.size} scene clusters over ${all.length} photos:`, '');
  for (const [key, members] of [...clusters.entries()].sort())
    out.push(`- \`${key}\`: ${members.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
