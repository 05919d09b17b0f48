import { isObject } from '@aperture/contracts';
import { XMLParser } from 'fast-xml-parser';
import type { AnnotationTaskType } from '@aperture/policy';

/** A task as handed to an external tool. */
export interface ExportableTask {
  taskId: string;
  imageId: string;
  projectId: string;
  width: number;
  height: number;
  /** Absolute URL of the derivative's bytes (valid while the lease lasts, with the API key). */
  imageUrl: string;
  leaseExpiresAt: string;
}

/** One result found in an external tool's export, in Aperture's JSON result form. */
export type ImportedResult =
  { taskId: string; result: { labels: Array<Record<string, unknown>> } } | { taskId: string; error: string };

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Label Studio task JSON (an array to import into a Label Studio project): `data.image` is the
 * derivative's URL, `data.aperture_task_id` ties results back to the task (Label Studio keeps
 * `data` in its exports).
 */
export function toLabelStudioTasks(tasks: readonly ExportableTask[]): unknown[] {
  return tasks.map((task) => ({
    data: {
      image: task.imageUrl,
      aperture_task_id: task.taskId,
      aperture_image_id: task.imageId,
      width: task.width,
      height: task.height,
    },
    meta: { project: task.projectId, lease_expires_at: task.leaseExpiresAt },
  }));
}

/** The task id of an image named `<taskId>.<extension>` in other tools (CVAT keys images by name). */
const taskIdFromName = (name: string) => (name.split(/[\\/]/).pop() ?? '').replace(/\.[^.]*$/, '');

interface LsResult {
  id?: string;
  type?: string;
  from_name?: string;
  original_width?: number;
  original_height?: number;
  value?: Record<string, unknown>;
}

const firstString = (value: unknown): string | undefined =>
  Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;

/**
 * Results from a Label Studio JSON export (an array of tasks with `annotations`): the last
 * non-cancelled annotation of each task, converted from Label Studio's percentages (0..100 of the
 * original size) to pixels. Region types: rectanglelabels, polygonlabels, keypointlabels; choices
 * not tied to a region are classes (classification); choices, textarea and number results with a
 * region's id are that region's attributes (named by `from_name`). A rotated box is refused.
 */
export function fromLabelStudio(exported: unknown, taskType: AnnotationTaskType): ImportedResult[] {
  if (!Array.isArray(exported))
    return [{ taskId: '', error: 'a Label Studio export is a JSON array of tasks' }];
  return exported.map((task, index): ImportedResult => {
    const data = isObject(task) && isObject(task['data']) ? task['data'] : {};
    const taskId = typeof data['aperture_task_id'] === 'string' ? data['aperture_task_id'] : '';
    if (!taskId)
      return {
        taskId: '',
        error: `task ${index}: data.aperture_task_id is missing (not exported by Aperture)`,
      };
    const annotations = (
      isObject(task) && Array.isArray(task['annotations']) ? task['annotations'] : []
    ).filter(
      (annotation): annotation is Record<string, unknown> =>
        isObject(annotation) && annotation['was_cancelled'] !== true,
    );
    const annotation = annotations.at(-1);
    if (!annotation || !Array.isArray(annotation['result']))
      return { taskId, error: 'the task has no annotation' };
    const results = annotation['result'] as LsResult[];
    const labels: Array<Record<string, unknown>> = [];
    const byRegion = new Map<string, Record<string, unknown>>();
    const width = Number(data['width']) || undefined;
    const height = Number(data['height']) || undefined;
    for (const result of results) {
      const value = result.value ?? {};
      const w = result.original_width ?? width;
      const h = result.original_height ?? height;
      const px = (percent: unknown, size: number | undefined) =>
        round((Number(percent) / 100) * (size ?? NaN));
      let label: Record<string, unknown> | undefined;
      switch (result.type) {
        case 'rectanglelabels': {
          if (Number(value['rotation'] ?? 0) !== 0)
            return { taskId, error: `region ${result.id}: rotated boxes are not supported` };
          label = {
            class: firstString(value['rectanglelabels']),
            box: {
              x: px(value['x'], w),
              y: px(value['y'], h),
              width: px(value['width'], w),
              height: px(value['height'], h),
            },
          };
          if (taskType === 'tracking') label['trackId'] = result.id;
          break;
        }
        case 'polygonlabels':
          label = {
            class: firstString(value['polygonlabels']),
            polygon: (Array.isArray(value['points']) ? (value['points'] as unknown[][]) : []).map(
              ([x, y]) => [px(x, w), px(y, h)],
            ),
          };
          break;
        case 'keypointlabels': {
          // One Label Studio keypoint is one named point; they are gathered into one label.
          const name = firstString(value['keypointlabels']);
          let group = labels.find((candidate) => Array.isArray(candidate['keypoints']));
          if (!group) {
            group = { class: '', keypoints: [] };
            labels.push(group);
          }
          (group['keypoints'] as unknown[]).push({
            name,
            x: px(value['x'], w),
            y: px(value['y'], h),
            visible: true,
          });
          if (result.id) byRegion.set(result.id, group);
          continue;
        }
        case 'choices':
        case 'textarea':
        case 'number':
          break;
        default:
          return { taskId, error: `result type ${JSON.stringify(result.type)} is not supported` };
      }
      if (label) {
        labels.push(label);
        if (result.id) byRegion.set(result.id, label);
      }
    }
    // Attributes of regions, and classes of a classification.
    for (const result of results) {
      if (!['choices', 'textarea', 'number'].includes(result.type ?? '')) continue;
      const value = result.value ?? {};
      const region = result.id ? byRegion.get(result.id) : undefined;
      const given =
        result.type === 'choices'
          ? (value['choices'] as unknown[] | undefined)
          : result.type === 'textarea'
            ? (value['text'] as unknown[] | undefined)
            : [value['number']];
      if (region) {
        const attribute = given?.[0];
        if (region['class'] === '' && result.from_name === 'class') region['class'] = attribute;
        else
          region['attributes'] = {
            ...(region['attributes'] as object | undefined),
            [result.from_name ?? '']: attribute,
          };
      } else if (result.type === 'choices') {
        for (const choice of given ?? []) labels.push({ class: choice });
      }
    }
    return { taskId, result: { labels } };
  });
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Elements that may repeat (never attributes: <polygon points="..."> is text).
  isArray: (name: string, _path: unknown, _leaf: unknown, isAttribute: boolean) =>
    !isAttribute &&
    [
      'image',
      'box',
      'polygon',
      'polyline',
      'points',
      'tag',
      'attribute',
      'mask',
      'skeleton',
      'ellipse',
      'cuboid',
    ].includes(name),
  parseAttributeValue: false,
  textNodeName: '#text',
});

type Node = Record<string, unknown>;
const textOf = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';

function attributesOf(node: Node): Record<string, string> | undefined {
  const list = (node['attribute'] as Node[] | undefined) ?? [];
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map((attribute) => [textOf(attribute['name']), textOf(attribute['#text'])]));
}

function cvatPoints(text: unknown): number[][] {
  return textOf(text)
    .split(';')
    .filter((pair) => pair.trim() !== '')
    .map((pair) => pair.split(',').map((n) => round(Number(n))));
}

/**
 * Results from a "CVAT for images 1.1" XML export: one per <image>, whose `name` is the task's file
 * name (`<taskId>.jpg`). <box> (xtl, ytl, xbr, ybr) → box, <polygon> → polygon, <tag> → class
 * (classification), <points> → one keypoints label of class `label`, its points named by the
 * project's keypoint names in order, <attribute> children →
 * attributes; a box's `track_id` attribute (tracks exported per frame) → trackId. Rotated boxes,
 * masks, ellipses and cuboids are refused.
 */
export function fromCvatXml(
  text: string,
  taskType: AnnotationTaskType,
  keypointNames: readonly string[] = [],
): ImportedResult[] {
  let document: Node;
  try {
    document = xml.parse(text, true) as Node;
  } catch (error) {
    return [{ taskId: '', error: `not XML: ${(error as Error).message}` }];
  }
  const root = document['annotations'] as Node | undefined;
  if (!isObject(root)) return [{ taskId: '', error: 'not a CVAT for images export (no <annotations>)' }];
  const images = (root['image'] as Node[] | undefined) ?? [];
  return images.map((image): ImportedResult => {
    const taskId = taskIdFromName(textOf(image['name']));
    for (const unsupported of ['mask', 'ellipse', 'cuboid', 'skeleton', 'polyline'])
      if (image[unsupported]) return { taskId, error: `<${unsupported}> shapes are not supported` };
    const labels: Array<Record<string, unknown>> = [];
    for (const box of (image['box'] as Node[] | undefined) ?? []) {
      if (Number(box['rotation'] ?? 0) !== 0) return { taskId, error: 'rotated boxes are not supported' };
      const [x0, y0, x1, y1] = ['xtl', 'ytl', 'xbr', 'ybr'].map((key) => Number(box[key]));
      const attributes = attributesOf(box);
      const trackId = attributes?.['track_id'] ?? (box['track_id'] as string | undefined);
      if (attributes) delete attributes['track_id'];
      labels.push({
        class: box['label'],
        box: { x: round(x0!), y: round(y0!), width: round(x1! - x0!), height: round(y1! - y0!) },
        ...(attributes && Object.keys(attributes).length > 0 && { attributes }),
        ...(taskType === 'tracking' && trackId !== undefined && { trackId: String(trackId) }),
      });
    }
    for (const polygon of (image['polygon'] as Node[] | undefined) ?? []) {
      const attributes = attributesOf(polygon);
      labels.push({
        class: polygon['label'],
        polygon: cvatPoints(polygon['points']),
        ...(attributes && { attributes }),
      });
    }
    for (const points of (image['points'] as Node[] | undefined) ?? []) {
      const coordinates = cvatPoints(points['points']);
      const attributes = attributesOf(points);
      labels.push({
        class: points['label'],
        keypoints: coordinates.map(([x, y], index) => ({
          name: keypointNames[index] ?? `point_${index}`,
          x,
          y,
          visible: true,
        })),
        ...(attributes && { attributes }),
      });
    }
    for (const tag of (image['tag'] as Node[] | undefined) ?? []) {
      const attributes = attributesOf(tag);
      labels.push({ class: tag['label'], ...(attributes && { attributes }) });
    }
    return { taskId, result: { labels } };
  });
}
