import { defaultPolicy } from '@aperture/policy';
import { afterKey, lineageOf, thresholdChecks, thumbnailKey, traceIdOf, traceUrl } from './image-detail';

describe('image detail', () => {
  const quality = {
    width: 40,
    height: 300,
    metrics: {
      blurWidth: 2.5,
      blurWidthAcross: 2.4,
      blackLevel: 0,
      brightnessP50: 120,
      brightnessP99: 200,
      clipped: 0,
      contrast: 0.5,
      entropy: 6,
      aspectRatio: 7.5,
    },
  };

  it('puts each score beside the threshold that judged it and says which failed', () => {
    const checks = thresholdChecks(quality, defaultPolicy.quality);
    const failed = checks.filter((check) => check.passed === false).map((check) => check.reason);
    expect(failed).toEqual(['too_small', 'odd_aspect_ratio', 'blurry']);
    expect(checks.find((check) => check.metric === 'blurWidth')).toEqual({
      reason: 'blurry',
      metric: 'blurWidth',
      value: 2.5,
      setting: 'quality.maxBlurWidth',
      threshold: 1.4,
      bound: 'max',
      passed: false,
    });
  });

  it('leaves out the checks the policy switches off, and marks missing scores unknown', () => {
    const policy = { ...defaultPolicy.quality, maxBlurWidth: 100, maxBlurAnisotropy: 100, minEntropy: 0 };
    const checks = thresholdChecks({}, policy);
    expect(checks.map((check) => check.metric)).not.toContain('blurWidth');
    expect(checks.map((check) => check.metric)).not.toContain('entropy');
    expect(checks.every((check) => check.passed === null)).toBe(true);
  });

  it('reads the trace id from the first event and fills the template', () => {
    const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    expect(traceIdOf([{ headers }])).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf([{ headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` } }])).toBeNull();
    expect(traceIdOf([])).toBeNull();
    expect(traceUrl('https://t/trace/{traceId}?x={traceId}', 'ab')).toBe('https://t/trace/ab?x=ab');
    expect(traceUrl('', 'ab')).toBeNull();
  });

  it('shows the cleared copy as "after" once compliance made one', () => {
    const stages = {
      standardize: { derivative: { key: 'derived/d' }, thumbnail: { key: 'thumbnails/t' } },
    };
    const before = lineageOf('raw/r', stages);
    expect(afterKey(before)).toBe('derived/d');
    expect(thumbnailKey(before)).toBe('thumbnails/t');
    // An annotator never gets a copy that was not through compliance (faces unredacted).
    expect(afterKey(before, 'annotator')).toBeNull();
    expect(thumbnailKey(before, 'annotator')).toBeNull();
    const cleared = lineageOf('raw/r', {
      ...stages,
      compliance: { cleared: { key: 'cleared/c' }, clearedThumbnail: { key: 'cleared/c.thumb' } },
    });
    expect(cleared).toEqual({
      raw: 'raw/r',
      derivative: 'derived/d',
      thumbnail: 'thumbnails/t',
      cleared: 'cleared/c',
      clearedThumbnail: 'cleared/c.thumb',
    });
    expect(afterKey(cleared)).toBe('cleared/c');
    expect(afterKey(cleared, 'annotator')).toBe('cleared/c');
    expect(thumbnailKey(cleared)).toBe('cleared/c.thumb');
  });
});
