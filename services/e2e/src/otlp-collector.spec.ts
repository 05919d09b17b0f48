import { checkImageTrace, type CollectedSpan, spansOf } from './otlp-collector';

const span = (overrides: Partial<CollectedSpan>): CollectedSpan => ({
  service: 'quality',
  traceId: 't1',
  spanId: Math.random().toString(16).slice(2),
  name: 'x',
  kind: 1,
  attributes: {},
  ...overrides,
});

describe('spansOf', () => {
  it('flattens an OTLP/HTTP JSON export with its service name and attributes', () => {
    const spans = spansOf({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ingest' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'abc',
                  spanId: 'def',
                  name: 'POST',
                  kind: 2,
                  attributes: [
                    { key: 'http.status', value: { intValue: '201' } },
                    { key: 'aperture.image_id', value: { stringValue: 'img_1' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(spans).toEqual([
      {
        service: 'ingest',
        traceId: 'abc',
        spanId: 'def',
        name: 'POST',
        kind: 2,
        attributes: { 'http.status': 201, 'aperture.image_id': 'img_1' },
      },
    ]);
  });
});

describe('checkImageTrace', () => {
  const topics = ['in.v1', 'mid.v1'];
  const owner = { tenantId: 'ten_1', batchId: 'bat_1' };
  const consumed = (topic: string, extra: Record<string, string> = {}) =>
    span({
      kind: 5,
      name: `process ${topic}`,
      attributes: {
        'aperture.image_id': 'img_1',
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': 7,
        'messaging.consumer.group.name': 'quality',
        'aperture.tenant_id': 'ten_1',
        'aperture.batch_id': 'bat_1',
        ...extra,
      },
    });
  const complete = [
    span({ service: 'ingest', kind: 2 }),
    consumed('in.v1'),
    consumed('mid.v1'),
    span({ kind: 4, attributes: { 'messaging.destination.name': 'out.v1' } }),
    span({ kind: 3, name: 'findOne images', attributes: { 'db.system.name': 'mongodb' } }),
  ];

  it('accepts one trace from the upload to the final publish', () => {
    expect(checkImageTrace(complete, 'img_1', topics, 'out.v1', owner)).toMatchObject({
      ok: true,
      traceId: 't1',
    });
  });

  it('names what breaks the chain', () => {
    const without = (index: number) => complete.filter((_, i) => i !== index);
    expect(checkImageTrace(without(0), 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'no HTTP server span of ingest in trace t1',
    });
    const split = complete.map((s, i) => (i === 2 ? { ...s, traceId: 't2' } : s));
    expect(checkImageTrace(split, 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'consumer spans of img_1 are in 2 traces',
    });
    expect(checkImageTrace(without(3), 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'no producer span for out.v1 in trace t1',
    });
    expect(checkImageTrace(without(4), 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'no database span in trace t1',
    });
  });

  it('requires the messaging attributes and the right tenant and batch on every consumer span', () => {
    const withSpan = (replacement: CollectedSpan) => complete.map((s, i) => (i === 2 ? replacement : s));
    const noGroup = consumed('mid.v1');
    delete noGroup.attributes['messaging.consumer.group.name'];
    expect(checkImageTrace(withSpan(noGroup), 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'consumer span process mid.v1 lacks messaging.consumer.group.name',
    });
    const otherTenant = consumed('mid.v1', { 'aperture.tenant_id': 'ten_2' });
    expect(checkImageTrace(withSpan(otherTenant), 'img_1', topics, 'out.v1', owner)).toEqual({
      ok: false,
      problem: 'consumer span process mid.v1 names another tenant or batch',
    });
  });
});
