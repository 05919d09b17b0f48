// Subject distance, occlusion and content counts from the detectors' boxes. Pure functions over
// boxes in pixels of the upright image.

export interface DetectedBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface DetectedObject extends DetectedBox {
  label: string;
}

export type DistanceBucket = 'close-up' | 'near' | 'medium' | 'far' | 'no subject';
export type OcclusionBucket = 'none' | 'cut by frame' | 'partly occluded' | 'no subject';

/** COCO classes counted as vehicles and as animals. */
export const VEHICLES = new Set([
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
]);
export const ANIMALS = new Set([
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
]);

/**
 * A head is about a third of a head-and-shoulders framing: a face's height times this is the
 * subject's height in the frame, comparable with a person's or a vehicle's box height.
 */
const FACE_TO_SUBJECT = 3;

/**
 * How big the main subject is in the frame: the largest of the faces' heights x 3 and the people's
 * and vehicles' box heights, over the frame's height (can exceed 1 for a face filling the frame).
 * close-up ≥ 0.9, near ≥ 0.45, medium ≥ 0.15, else far.
 */
export function subjectDistance(
  faces: readonly DetectedBox[],
  objects: readonly DetectedObject[],
  imageHeight: number,
): { subjectHeight: number; bucket: DistanceBucket } {
  const heights = [
    ...faces.map((face) => face.height * FACE_TO_SUBJECT),
    ...objects.filter((o) => o.label === 'person' || VEHICLES.has(o.label)).map((o) => o.height),
  ];
  if (heights.length === 0 || imageHeight <= 0) return { subjectHeight: 0, bucket: 'no subject' };
  const share = Math.max(...heights) / imageHeight;
  const bucket: DistanceBucket =
    share >= 0.9 ? 'close-up' : share >= 0.45 ? 'near' : share >= 0.15 ? 'medium' : 'far';
  return { subjectHeight: Math.round(share * 1000) / 1000, bucket };
}

/** A box within this share of the frame's side from an edge is cut by it. */
const EDGE_MARGIN = 0.005;

export function touchesFrame(box: DetectedBox, width: number, height: number): boolean {
  const mx = width * EDGE_MARGIN;
  const my = height * EDGE_MARGIN;
  return box.x <= mx || box.y <= my || box.x + box.width >= width - mx || box.y + box.height >= height - my;
}

function overlapShare(box: DetectedBox, other: DetectedBox): number {
  const w = Math.min(box.x + box.width, other.x + other.width) - Math.max(box.x, other.x);
  const h = Math.min(box.y + box.height, other.y + other.height) - Math.max(box.y, other.y);
  return w > 0 && h > 0 ? (w * h) / (box.width * box.height) : 0;
}

/**
 * Faces and subjects (people, vehicles, animals) cut by the frame's edge; and partly covered ones:
 * a face with a landmark outside its box or another face over a fifth of it, a subject with
 * another subject in front of a third of it (the lower box's bottom edge is the nearer one: the
 * one further down in the frame is taken to stand in front).
 */
export function occlusionOf(
  faces: ReadonlyArray<DetectedBox & { landmarks?: readonly number[] }>,
  objects: readonly DetectedObject[],
  width: number,
  height: number,
): { cutByFrame: number; partlyCovered: number; bucket: OcclusionBucket } {
  const subjects = objects.filter(
    (o) => o.label === 'person' || VEHICLES.has(o.label) || ANIMALS.has(o.label),
  );
  if (faces.length === 0 && subjects.length === 0)
    return { cutByFrame: 0, partlyCovered: 0, bucket: 'no subject' };
  const cut = [...faces, ...subjects].filter((box) => touchesFrame(box, width, height)).length;
  const coveredFaces = faces.filter((face, i) => {
    const lm = face.landmarks ?? [];
    const outside = lm.some((value, j) =>
      j % 2 === 0
        ? value < face.x - face.width * 0.1 || value > face.x + face.width * 1.1
        : value < face.y - face.height * 0.1 || value > face.y + face.height * 1.1,
    );
    return outside || faces.some((other, k) => k !== i && overlapShare(face, other) > 0.2);
  }).length;
  const coveredSubjects = subjects.filter((subject, i) =>
    subjects.some(
      (other, k) =>
        k !== i &&
        other.y + other.height > subject.y + subject.height &&
        overlapShare(subject, other) > 1 / 3,
    ),
  ).length;
  const partlyCovered = coveredFaces + coveredSubjects;
  const bucket: OcclusionBucket = partlyCovered > 0 ? 'partly occluded' : cut > 0 ? 'cut by frame' : 'none';
  return { cutByFrame: cut, partlyCovered, bucket };
}

export type ContentBucket =
  'people' | 'vehicles' | 'people and vehicles' | 'animals' | 'objects only' | 'empty';

/** Counts per class (most frequent first), people and vehicles (faces count as people when more). */
export function contentOf(faces: readonly DetectedBox[], objects: readonly DetectedObject[]) {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.label, (counts.get(o.label) ?? 0) + 1);
  const people = Math.max(counts.get('person') ?? 0, faces.length);
  const vehicles = objects.filter((o) => VEHICLES.has(o.label)).length;
  const animals = objects.filter((o) => ANIMALS.has(o.label)).length;
  const bucket: ContentBucket =
    people > 0 && vehicles > 0
      ? 'people and vehicles'
      : people > 0
        ? 'people'
        : vehicles > 0
          ? 'vehicles'
          : animals > 0
            ? 'animals'
            : objects.length > 0
              ? 'objects only'
              : 'empty';
  return {
    people,
    vehicles,
    animals,
    classes: [...counts.entries()]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([label, count]) => ({ label, count })),
    bucket,
  };
}
