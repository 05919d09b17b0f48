import { defaultAnnotationPolicy } from '@aperture/policy';
import { annotationFromJson, annotationToJson, type LabelSchema, validateResult } from './labels';

const schema = (taskType: LabelSchema['taskType'], extra: Partial<LabelSchema> = {}): LabelSchema => ({
  ...defaultAnnotationPolicy,
  taskType,
  classes: ['car', 'person'],
  attributes: [
    { name: 'occluded', type: 'boolean', values: [], required: true, classes: ['car'] },
    { name: 'colour', type: 'choice', values: ['red', 'blue'], required: false, classes: [] },
    { name: 'age', type: 'number', values: [], required: false, classes: ['person'] },
  ],
  keypoints: ['nose', 'left_eye', 'right_eye'],
  ...extra,
});
const size = { width: 640, height: 480 };

describe('validateResult', () => {
  it('accepts boxes inside the image with their attributes, in canonical form', () => {
    const result = validateResult(
      {
        labels: [
          { class: 'car', box: { x: 10, y: 20, width: 100, height: 50 }, attributes: { occluded: false } },
          {
            class: 'person',
            box: { x: 0, y: 0, width: 640, height: 480 },
            attributes: { age: '31', colour: 'red' },
          },
        ],
      },
      schema('bbox'),
      size,
    );
    expect(result).toEqual({
      annotation: {
        labels: [
          {
            className: 'car',
            box: { x: 10, y: 20, width: 100, height: 50 },
            attributes: { occluded: 'false' },
          },
          {
            className: 'person',
            box: { x: 0, y: 0, width: 640, height: 480 },
            attributes: { age: '31', colour: 'red' },
          },
        ],
      },
    });
    if ('annotation' in result)
      expect(annotationToJson(result.annotation).labels[0]).toEqual({
        class: 'car',
        box: { x: 10, y: 20, width: 100, height: 50 },
        attributes: { occluded: 'false' },
      });
    // What is stored reads back as the same annotation.
    if ('annotation' in result)
      expect(annotationFromJson(JSON.stringify(annotationToJson(result.annotation)))).toEqual(
        result.annotation,
      );
  });

  it('refuses a box past the edge, an unknown class and a missing required attribute, naming each', () => {
    expect(
      validateResult(
        {
          labels: [
            { class: 'car', box: { x: 600, y: 20, width: 100, height: 50 }, attributes: { occluded: true } },
            { class: 'truck', box: { x: 1, y: 1, width: 5, height: 5 } },
            { class: 'car', box: { x: 1, y: 1, width: 5, height: 5 }, attributes: { colour: 'green' } },
            { class: 'person', box: { x: 1, y: 1, width: 0, height: 5 } },
          ],
        },
        schema('bbox'),
        size,
      ),
    ).toEqual({
      errors: [
        {
          field: 'labels[0].box',
          message: 'must lie inside the image (640×480): it spans x 600..700, y 20..70',
        },
        { field: 'labels[1].class', message: '"truck" is not a class of the project (car, person)' },
        { field: 'labels[2].attributes.colour', message: 'must be one of red, blue' },
        { field: 'labels[2].attributes.occluded', message: 'is required for class "car"' },
        { field: 'labels[3].box', message: 'must have a positive width and height' },
      ],
    });
  });

  it('checks the shape of each task type', () => {
    expect(validateResult({ labels: [] }, schema('classification'), size)).toEqual({
      errors: [{ field: 'labels', message: 'a classification needs at least one label' }],
    });
    expect(
      validateResult({ labels: [{ class: 'person' }, { class: 'person' }] }, schema('classification'), size),
    ).toMatchObject({
      errors: [{ field: 'labels', message: 'a classification names each class at most once' }],
    });
    expect(
      validateResult(
        { labels: [{ class: 'person', box: { x: 0, y: 0, width: 1, height: 1 } }] },
        schema('classification'),
        size,
      ),
    ).toEqual({
      errors: [
        { field: 'labels[0].box', message: 'is not a field of a classification label (class, attributes)' },
      ],
    });
    expect(
      validateResult(
        {
          labels: [
            {
              class: 'person',
              polygon: [
                [0, 0],
                [10, 0],
                [10, 500],
              ],
            },
          ],
        },
        schema('polygon'),
        size,
      ),
    ).toEqual({
      errors: [{ field: 'labels[0].polygon[2]', message: '(10, 500) is outside the image (640×480)' }],
    });
    expect(
      validateResult(
        {
          labels: [
            {
              class: 'person',
              polygon: [
                [0, 0],
                [10, 0],
              ],
            },
          ],
        },
        schema('polygon'),
        size,
      ),
    ).toMatchObject({
      errors: [{ field: 'labels[0].polygon' }],
    });
    expect(
      validateResult(
        {
          labels: [
            {
              class: 'person',
              keypoints: [
                { name: 'nose', x: 5, y: 5 },
                { name: 'tail', x: 1, y: 1 },
              ],
            },
          ],
        },
        schema('keypoints'),
        size,
      ),
    ).toEqual({
      errors: [
        {
          field: 'labels[0].keypoints[1].name',
          message: '"tail" is not a keypoint of the project (nose, left_eye, right_eye)',
        },
      ],
    });
    expect(
      validateResult(
        {
          labels: [
            {
              class: 'person',
              keypoints: [
                { name: 'nose', x: 5, y: 5 },
                { name: 'left_eye', x: 900, y: 0, visible: false },
              ],
            },
          ],
        },
        schema('keypoints'),
        size,
      ),
    ).toMatchObject({ annotation: { labels: [{ keypoints: [{ visible: true }, { visible: false }] }] } });
    expect(
      validateResult(
        {
          labels: [
            { class: 'person', box: { x: 0, y: 0, width: 9, height: 9 }, trackId: 't1' },
            { class: 'person', box: { x: 0, y: 0, width: 9, height: 9 }, trackId: 't1' },
            { class: 'person', box: { x: 0, y: 0, width: 9, height: 9 } },
          ],
        },
        schema('tracking'),
        size,
      ),
    ).toEqual({
      errors: [
        { field: 'labels[1].trackId', message: '"t1" is used twice in one image' },
        { field: 'labels[2].trackId', message: 'must be an id (1..64 letters, digits, "_", "-", ".")' },
      ],
    });
  });

  it('refuses what is not a result', () => {
    expect(validateResult([], schema('bbox'), size)).toEqual({
      errors: [{ field: 'result', message: 'must be an object {"labels": [...]}' }],
    });
    expect(validateResult({ class: 'car' }, schema('bbox'), size)).toEqual({
      errors: [
        { field: 'class', message: 'is not a field of a result (labels)' },
        { field: 'labels', message: 'must be a list of at most 1000 labels' },
      ],
    });
  });
});
