import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromCvatXml, fromLabelStudio, toLabelStudioTasks } from './interop';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('interoperability', () => {
  it('exports tasks as Label Studio task JSON', () => {
    expect(
      toLabelStudioTasks([
        {
          taskId: 'tsk_img_1_0',
          imageId: 'img_1',
          projectId: 'prj_1',
          width: 640,
          height: 480,
          imageUrl: 'http://127.0.0.1:8084/v1/tasks/tsk_img_1_0/image?annotatorId=label-studio',
          leaseExpiresAt: '2026-11-24T01:00:00.000Z',
        },
      ]),
    ).toEqual([
      {
        data: {
          image: 'http://127.0.0.1:8084/v1/tasks/tsk_img_1_0/image?annotatorId=label-studio',
          aperture_task_id: 'tsk_img_1_0',
          aperture_image_id: 'img_1',
          width: 640,
          height: 480,
        },
        meta: { project: 'prj_1', lease_expires_at: '2026-11-24T01:00:00.000Z' },
      },
    ]);
  });

  it('imports a Label Studio export: boxes with attributes, polygons, choices, in pixels', () => {
    const results = fromLabelStudio(JSON.parse(fixture('label-studio-export.json')), 'bbox');
    expect(results).toEqual([
      {
        taskId: 'tsk_img_1_0',
        result: {
          labels: [
            {
              class: 'car',
              box: { x: 64, y: 96, width: 160, height: 240 },
              attributes: { occluded: 'true' },
            },
            { class: 'person', box: { x: 320, y: 240, width: 80, height: 120 } },
          ],
        },
      },
      {
        taskId: 'tsk_img_2_0',
        result: {
          labels: [
            {
              class: 'car',
              polygon: [
                [80, 60],
                [400, 60],
                [240, 240],
              ],
            },
          ],
        },
      },
      { taskId: 'tsk_img_3_0', result: { labels: [{ class: 'shelf' }] } },
      { taskId: '', error: 'task 3: data.aperture_task_id is missing (not exported by Aperture)' },
    ]);
    expect(fromLabelStudio({ tasks: [] }, 'bbox')).toEqual([
      { taskId: '', error: 'a Label Studio export is a JSON array of tasks' },
    ]);
    const rotated = JSON.parse(fixture('label-studio-export.json')) as Array<{
      annotations: Array<{ result: Array<{ value: { rotation?: number } }> }>;
    }>;
    rotated[0]!.annotations[0]!.result[0]!.value.rotation = 30;
    expect(fromLabelStudio(rotated, 'bbox')[0]).toEqual({
      taskId: 'tsk_img_1_0',
      error: 'region Kx81_Qz2aB: rotated boxes are not supported',
    });
  });

  it('imports a CVAT for images 1.1 export: boxes, polygons and tags, keyed by file name', () => {
    expect(fromCvatXml(fixture('cvat-for-images-1.1.xml'), 'bbox')).toEqual([
      {
        taskId: 'tsk_img_1_0',
        result: {
          labels: [
            {
              class: 'car',
              box: { x: 64, y: 96, width: 160, height: 240 },
              attributes: { occluded: 'true' },
            },
            { class: 'person', box: { x: 320.5, y: 240, width: 80, height: 120 } },
          ],
        },
      },
      {
        taskId: 'tsk_img_2_0',
        result: {
          labels: [
            {
              class: 'car',
              polygon: [
                [80, 60],
                [400, 60],
                [240, 240],
              ],
            },
          ],
        },
      },
      { taskId: 'tsk_img_3_0', result: { labels: [{ class: 'person' }] } },
    ]);
    expect(fromCvatXml('<nothing/>', 'bbox')).toEqual([
      { taskId: '', error: 'not a CVAT for images export (no <annotations>)' },
    ]);
    expect(
      fromCvatXml('<annotations><image name="t.jpg"><mask label="x"/></image></annotations>', 'bbox'),
    ).toEqual([{ taskId: 't', error: '<mask> shapes are not supported' }]);
  });
});
