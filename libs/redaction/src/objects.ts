// The object model's classes and the clean-up of its boxes. Pure functions, no pixels.
import { mergeBoxes, type ScoredBox } from './boxes';

/** COCO's 80 detection classes in the order of the model's class indices (CenterNet's labels). */
export const COCO_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
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
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
] as const;

export type CocoClass = (typeof COCO_CLASSES)[number];

/** An object in pixels of the upright image, with its COCO class. */
export interface ObjectBox extends ScoredBox {
  label: CocoClass;
}

/** The model's input side: the whole image is resized (stretched) to it. */
export const OBJECT_INPUT_SIDE = 512;

/** The default score from which an object counts (the model's own demo uses 0.2; 0.3 keeps fewer doubles). */
export const DEFAULT_OBJECT_SCORE = 0.3;

/**
 * Raw rows [x, y, w, h, score, class] of a 512 x 512 pass, mapped to a width x height image, merged
 * per class (CenterNet reports some objects twice at nearby centres) at IoU 0.4, best first.
 */
export function objectBoxes(
  rows: ReadonlyArray<readonly number[]>,
  width: number,
  height: number,
  minScore: number = DEFAULT_OBJECT_SCORE,
): ObjectBox[] {
  const sx = width / OBJECT_INPUT_SIDE;
  const sy = height / OBJECT_INPUT_SIDE;
  const byClass = new Map<number, ObjectBox[]>();
  for (const [x, y, w, h, score, cls] of rows) {
    const label = COCO_CLASSES[cls as number];
    if (label === undefined || !(score! >= minScore)) continue;
    const list = byClass.get(cls!) ?? [];
    list.push({ x: x! * sx, y: y! * sy, width: w! * sx, height: h! * sy, score: score!, label });
    byClass.set(cls!, list);
  }
  return [...byClass.values()]
    .flatMap((boxes) => mergeBoxes(boxes, 0.4, 0.9))
    .sort((a, b) => b.score - a.score);
}
