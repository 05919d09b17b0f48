import { COCO_CLASSES, objectBoxes, OBJECT_INPUT_SIDE } from './objects';

describe('objectBoxes', () => {
  it('maps the model rows to the image, names the class and drops low scores and unknown classes', () => {
    const rows = [
      [0, 0, 256, 128, 0.9, 2],
      [10, 10, 20, 20, 0.1, 0],
      [10, 10, 20, 20, 0.8, 80],
    ];
    expect(objectBoxes(rows, 2 * OBJECT_INPUT_SIDE, OBJECT_INPUT_SIDE)).toEqual([
      { x: 0, y: 0, width: 512, height: 128, score: 0.9, label: 'car' },
    ]);
  });

  it('merges the same class found twice at nearby centres, keeps different classes apart', () => {
    const rows = [
      [72, 108, 304, 285, 0.49, 1],
      [73, 112, 304, 288, 0.47, 1],
      [315, 72, 141, 75, 0.56, 2],
      [315, 72, 141, 75, 0.32, 7],
    ];
    const labels = objectBoxes(rows, 512, 512).map((box) => box.label);
    expect(labels).toEqual(['car', 'bicycle', 'truck']);
  });

  it('lists COCO’s 80 classes', () => {
    expect(COCO_CLASSES).toHaveLength(80);
    expect(COCO_CLASSES[0]).toBe('person');
    expect(COCO_CLASSES[79]).toBe('toothbrush');
  });
});
