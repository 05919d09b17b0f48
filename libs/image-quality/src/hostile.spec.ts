import { defaultPolicy } from '@aperture/persistence';
import { hostileCases } from '@aperture/testing';
import { assessImage } from './assess';

// Every file of the generated hostile corpus (libs/testing/src/hostile) through the quality
// assessment with the default policy: each gets the verdict its case names, and none throws.
describe('hostile files through the quality assessment', () => {
  const cases = hostileCases();

  it('has one case per name, covering every supported format damaged', () => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heic']) {
      expect(names).toEqual(expect.arrayContaining([`truncated-${format}`, `bitflip-${format}`]));
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, hostile) => {
    const assessment = await assessImage(hostile.make(), defaultPolicy.quality);
    const verdict = assessment.accepted ? 'accepted' : assessment.reasons[0]?.code;
    expect(verdict).toBe(hostile.quality);
    if (!assessment.accepted) expect(assessment.reasons[0]?.message).toEqual(expect.any(String));
  });
});
