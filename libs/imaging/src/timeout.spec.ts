import { zeroPng } from '@aperture/testing';
import { asDecodeError, DECODE_TIMEOUT_SECONDS, ImageDecodeError, openImage } from '@aperture/imaging';

describe('the per-image time limit', () => {
  // 100 MP (the pixel limit) of zeros: a 12 KB PNG. A sigma-300 blur of all of it takes about 10 s
  // of libvips work on the project's 2-core machine idle (a sigma-200 blur had done 31 % after 3 s),
  // so a limit of one second must stop it. A sigma-40 blur, used before, finished in 1.15 s on the
  // idle machine: on a fast one it could end within the limit (a failure seen twice in fresh runs).
  const bomb = zeroPng(10_000, 10_000);

  it('stops a pipeline that runs past timeoutSeconds, named timeout', async () => {
    const image = await openImage(bomb, { timeoutSeconds: 1 });
    const started = Date.now();
    const failure = await image
      .pipeline()
      .blur(300)
      .raw()
      .toBuffer()
      .then(
        () => undefined,
        (error: unknown) => asDecodeError(error),
      );
    expect(failure).toBeInstanceOf(ImageDecodeError);
    expect(failure).toMatchObject({ code: 'timeout', message: expect.stringMatching(/time limit/) });
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('defaults to DECODE_TIMEOUT_SECONDS and refuses a limit that is not a whole positive second', async () => {
    expect(DECODE_TIMEOUT_SECONDS).toBe(30);
    await expect(openImage(bomb, { timeoutSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(openImage(bomb, { timeoutSeconds: 1.5 })).rejects.toThrow(RangeError);
  });

  it("names sharp's timeout error and leaves other errors corrupt", () => {
    expect(asDecodeError(new Error('timeout: 42% complete\nvips stack'))).toMatchObject({ code: 'timeout' });
    expect(asDecodeError(new Error('VipsJpeg: premature end of JPEG image'))).toMatchObject({
      code: 'corrupt',
    });
  });
});
