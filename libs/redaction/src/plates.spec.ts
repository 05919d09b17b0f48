import { planTextTiles, plateBoxes } from './plates';

describe('planTextTiles', () => {
  it('is one whole-image pass at most 960 px on its longest side', () => {
    expect(planTextTiles(1920, 1080)).toEqual([
      { x: 0, y: 0, width: 1920, height: 1080, outWidth: 960, outHeight: 540, turn: 'none' },
    ]);
    expect(planTextTiles(600, 400)[0]).toMatchObject({ outWidth: 600, outHeight: 400 });
  });

  it('adds full-resolution tiles over a large photo when asked', () => {
    const tiles = planTextTiles(4000, 3000, { fineTileSide: 1280 });
    expect(tiles.length).toBeGreaterThan(4);
    for (const t of tiles.slice(1)) expect([t.outWidth, t.outHeight]).toEqual([t.width, t.height]);
  });
});

describe('plateBoxes', () => {
  it("keeps single text lines of a plate's shape and size", () => {
    const plate = { x: 0, y: 0, width: 120, height: 30, score: 0.8 };
    const tall = { x: 0, y: 0, width: 20, height: 60, score: 0.9 };
    const banner = { x: 0, y: 0, width: 900, height: 40, score: 0.9 };
    const tiny = { x: 0, y: 0, width: 20, height: 6, score: 0.9 };
    expect(plateBoxes([plate, tall, banner, tiny])).toEqual([plate]);
  });
});
