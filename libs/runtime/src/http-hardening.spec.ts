import { httpErrorResponse } from './http-errors';
import { jsonDepthExceeds, jsonHasNul, MAX_JSON_DEPTH } from './http-hardening';

describe('jsonDepthExceeds', () => {
  const nested = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));

  it('counts arrays and objects, up to the limit and not beyond', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(nested(5000), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":{"b":[{"c":1}]}}'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"a":{"b":[{"c":1}]}}'), 4)).toBe(false);
    // Siblings do not add up.
    expect(jsonDepthExceeds(Buffer.from('[[1],[2],[3],[4]]'), 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ a: '[[[[{{{{' })), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ a: 'say \\"[[[[\\" \\\\' })), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify(['é[', { b: '"]]]' }])), 2)).toBe(false);
  });
});

describe('jsonHasNul', () => {
  it('finds NUL escaped or raw, and not an escaped backslash before u0000', () => {
    expect(jsonHasNul(Buffer.from(JSON.stringify({ name: 'a\u0000b' })))).toBe(true);
    expect(jsonHasNul(Buffer.from('{"name":"a\u0000"}'))).toBe(true);
    expect(jsonHasNul(Buffer.from([0x22, 0x00, 0x22]))).toBe(true);
    expect(jsonHasNul(Buffer.from(JSON.stringify({ name: 'a\\u0000' })))).toBe(false);
    expect(jsonHasNul(Buffer.from(JSON.stringify({ name: 'u0000' })))).toBe(false);
  });
});

describe('httpErrorResponse', () => {
  it('answers a too deep JSON body (a body-parser verify error) as 400 invalid_request', () => {
    const error = Object.assign(new Error('the JSON body is nested more than 32 levels deep'), {
      status: 400,
      expose: true,
      type: 'entity.too.deep',
    });
    expect(httpErrorResponse(error)).toEqual({
      status: 400,
      body: {
        error: { code: 'invalid_request', message: 'the JSON body is nested more than 32 levels deep' },
      },
    });
  });

  it('leaves anything else to the caller (a 500)', () => {
    expect(httpErrorResponse(new Error('boom'))).toBeUndefined();
    expect(httpErrorResponse(Object.assign(new Error('down'), { status: 503 }))).toBeUndefined();
  });
});
