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
  const complete = [
    span({ service: 'ingest', kind: 2 }),
    span({ kind: 5, attributes: { 'aperture.image_id': 'img_1', 'messaging.destination.name': 'in.v1' } }),
    span({ kind: 5, attributes: { 'aperture.image_id': 'img_1', 'messaging.destination.name': 'mid.v1' } }),
    span({ kind: 4, attributes: { 'messaging.destination.name': 'out.v1' } }),
  ];

  it('accepts one trace from the upload to the final publish', () => {
    expect(checkImageTrace(complete, 'img_1', topics, 'out.v1')).toMatchObject({ ok: true, traceId: 't1' });
  });

  it('names what breaks the chain', () => {
    expect(checkImageTrace(complete.slice(1), 'img_1', topics, 'out.v1')).toEqual({
      ok: false,
      problem: 'no HTTP server span of ingest in trace t1',
    });
    const split = complete.map((s, i) => (i === 2 ? { ...s, traceId: 't2' } : s));
    expect(checkImageTrace(split, 'img_1', topics, 'out.v1')).toEqual({
      ok: false,
      problem: 'consumer spans of img_1 are in 2 traces',
    });
    expect(checkImageTrace(complete.slice(0, 3), 'img_1', topics, 'out.v1')).toEqual({
      ok: false,
      problem: 'no producer span for out.v1 in trace t1',
    });
  });
});
