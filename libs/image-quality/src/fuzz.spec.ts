import { asDecodeError, ImageDecodeError, openImage, readImageHeader } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/policy';
import {
  applyMutations,
  checkProperty,
  corpusPath,
  fuzzSettings,
  mutationArbitrary,
} from '@aperture/testing';
import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { assessImage } from './assess';

// Property-based fuzzing of the decoders' entry points on mutated real files (bit flips,
// truncations, boundary values written over lengths and dimensions, deleted ranges, ranges spliced
// in from other files and formats): readImageHeader and openImage either answer or throw a named
// ImageDecodeError, a pipeline's failure maps to one, assessImage always answers with a verdict,
// and nothing runs past the time limit. Briefly here (a fixed seed, few runs); longer with
// `scripts/fuzz --runs N [--seed S]`, which prints the seed and the counts.

const SEEDS = [
  'cameras/jpg/Fujifilm_FinePix_E500.jpg',
  'formats/with-alpha.png',
  'formats/big-height.webp',
  'formats/animated-loop-3.gif',
  'cameras/tiff/Arbitro.tiff',
  'formats/pitm.avif',
  'cameras/heic/samplefilehub.heif',
].map((path) => readFileSync(corpusPath(path)));

const CODES = ['corrupt', 'unsupported_format', 'too_large', 'timeout'];
const QUALITY_CODES = new Set([
  ...CODES,
  'too_small',
  'odd_aspect_ratio',
  'low_information',
  'blurry',
  'underexposed',
  'overexposed',
  'low_contrast',
  'greyscale',
]);

/** Resolves to the outcome: 'ok' or the code of the ImageDecodeError; anything else fails the run. */
async function named(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    if (error instanceof ImageDecodeError && CODES.includes(error.code)) return error.code;
    throw new Error(`not a named decode error: ${String(error)}`, { cause: error });
  }
}

const RUNS = 25;
const RUN_LIMIT_MS = 20_000;

const mutated = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  mutations: fc.array(mutationArbitrary(), { minLength: 1, maxLength: 4 }),
});

describe('fuzz: the decoders on mutated real files', () => {
  it('counts only named decode errors as an answer', async () => {
    await expect(named(Promise.reject(new ImageDecodeError('corrupt', 'x')))).resolves.toBe('corrupt');
    await expect(named(Promise.reject(new Error('boom')))).rejects.toThrow('not a named decode error');
    await expect(named(Promise.reject(new TypeError('x')))).rejects.toThrow('not a named decode error');
  });

  it(
    'readImageHeader, openImage and a pipeline answer or name the failure; assessImage always judges',
    async () => {
      await checkProperty(
        'decoders',
        fc.asyncProperty(mutated, async ({ seed, mutations }) => {
          const bytes = applyMutations(SEEDS[seed]!, mutations, SEEDS);
          await named(readImageHeader(bytes));
          let image: Awaited<ReturnType<typeof openImage>> | undefined;
          await named(openImage(bytes).then((opened) => (image = opened)));
          if (image) {
            const failure = await image
              .pipeline()
              .resize(64, 64, { fit: 'inside' })
              .raw()
              .toBuffer()
              .then(
                () => undefined,
                (error: unknown) => asDecodeError(error),
              );
            if (failure) expect(CODES).toContain(failure.code);
          }
          const assessment = await assessImage(bytes, defaultPolicy.quality);
          if (assessment.accepted) expect(assessment.reasons).toEqual([]);
          else for (const reason of assessment.reasons) expect(QUALITY_CODES).toContain(reason.code);
        }),
        { defaultRuns: RUNS, timeoutMs: RUN_LIMIT_MS },
      );
    },
    60_000 + fuzzSettings(RUNS).numRuns * RUN_LIMIT_MS,
  );
});
