import {
  expandBox,
  iou,
  mapFromTile,
  mergeBoxes,
  planTiles,
  roundBox,
  starts,
  touchesInnerEdge,
  type Box,
  type Tile,
} from './boxes';

const covers = (tile: Box, box: Box) =>
  box.x >= tile.x &&
  box.y >= tile.y &&
  box.x + box.width <= tile.x + tile.width &&
  box.y + box.height <= tile.y + tile.height;

describe('starts', () => {
  it('lays tiles stride apart with the last one flush with the end', () => {
    expect(starts(1000, 512, 384)).toEqual([0, 384, 488]);
    expect(starts(512, 512, 384)).toEqual([0]);
    expect(starts(300, 512, 384)).toEqual([0]);
  });
});

describe('planTiles', () => {
  it('is one whole-image pass for an image the detector sees whole at full resolution', () => {
    expect(planTiles(500, 400)).toEqual([
      { x: 0, y: 0, width: 500, height: 400, step: 1, outWidth: 500, outHeight: 400 },
    ]);
  });

  it('tiles a 1024 px image (a standardized derivative) at full resolution: the whole pass sees it at half', () => {
    const tiles = planTiles(1024, 768);
    expect(tiles[0]).toMatchObject({ outWidth: 512, outHeight: 384, step: 2 });
    expect(tiles.slice(1).map((t) => [t.x, t.y, t.width, t.height, t.outWidth])).toEqual([
      [0, 0, 512, 512, 512],
      [384, 0, 512, 512, 512],
      [512, 0, 512, 512, 512],
      [0, 256, 512, 512, 512],
      [384, 256, 512, 512, 512],
      [512, 256, 512, 512, 512],
    ]);
  });

  it('bounds the whole-image pass of a 12 MP photo and adds half- and full-resolution grids', () => {
    const tiles = planTiles(4000, 3000);
    expect(tiles[0]).toEqual({
      x: 0,
      y: 0,
      width: 4000,
      height: 3000,
      step: 7,
      outWidth: 512,
      outHeight: 384,
    });
    const half = tiles.filter((t) => t.width === 1024 && t.outWidth === 512);
    const full = tiles.filter((t) => t.width === 512 && t.outWidth === 512 && t.step === 1);
    expect(half.length).toBeGreaterThan(1);
    expect(full.length).toBeGreaterThan(half.length);
    for (const t of tiles) {
      expect(t.x + t.width).toBeLessThanOrEqual(4000);
      expect(t.y + t.height).toBeLessThanOrEqual(3000);
    }
  });

  it('sees every face up to a quarter tile whole in some full-resolution tile', () => {
    const tiles = planTiles(3001, 2003).filter((t) => t.width === 512);
    for (let x = 0; x + 128 <= 3001; x += 37) {
      for (let y = 0; y + 128 <= 2003; y += 41) {
        const face = { x, y, width: 128, height: 128 };
        expect(tiles.some((t) => covers(t, face))).toBe(true);
      }
    }
  });

  it('refuses an empty image', () => {
    expect(() => planTiles(0, 10)).toThrow(RangeError);
  });
});

describe('mapFromTile and touchesInnerEdge', () => {
  const tile: Tile = { x: 1000, y: 500, width: 1024, height: 1024, step: 2, outWidth: 512, outHeight: 512 };

  it('scales a box from the resized tile back to the source and moves it by the tile origin', () => {
    expect(mapFromTile({ x: 10, y: 20, width: 30, height: 40, score: 0.9 }, tile)).toEqual({
      x: 1020,
      y: 540,
      width: 60,
      height: 80,
      score: 0.9,
    });
  });

  it('flags a box cut by a side of the tile inside the image, not one at the image border', () => {
    expect(touchesInnerEdge({ x: 1001, y: 800, width: 50, height: 50 }, tile, 4000, 3000)).toBe(true);
    expect(touchesInnerEdge({ x: 1900, y: 800, width: 124, height: 50 }, tile, 4000, 3000)).toBe(true);
    expect(touchesInnerEdge({ x: 1200, y: 800, width: 50, height: 50 }, tile, 4000, 3000)).toBe(false);
    const corner: Tile = { ...tile, x: 0, y: 0 };
    expect(touchesInnerEdge({ x: 0, y: 0, width: 50, height: 50 }, corner, 4000, 3000)).toBe(false);
  });
});

describe('mergeBoxes', () => {
  it('keeps the best of overlapping boxes; a part found inside a whole face gives way to the whole', () => {
    const whole = { x: 100, y: 100, width: 100, height: 100, score: 0.8 };
    const shifted = { x: 110, y: 105, width: 100, height: 100, score: 0.9 };
    const part = { x: 120, y: 120, width: 40, height: 40, score: 0.95 };
    const elsewhere = { x: 400, y: 100, width: 100, height: 100, score: 0.6 };
    // The part (0.95) lies inside `shifted` (0.9): the kept box has shifted's extent and the part's score.
    expect(mergeBoxes([whole, shifted, part, elsewhere])).toEqual([{ ...shifted, score: 0.95 }, elsewhere]);
    expect(mergeBoxes([whole, elsewhere])).toEqual([whole, elsewhere]);
  });
});

describe('iou, expandBox, roundBox', () => {
  it('computes IoU', () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(
      50 / 150,
    );
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
  });

  it('grows a box by a ratio of its size, clipped to the image, on whole pixels', () => {
    expect(expandBox({ x: 10, y: 10, width: 20, height: 40 }, 0.25, 100, 100)).toEqual({
      x: 5,
      y: 0,
      width: 30,
      height: 60,
    });
    expect(expandBox({ x: 90, y: 90, width: 20, height: 20 }, 0.5, 100, 100)).toEqual({
      x: 80,
      y: 80,
      width: 20,
      height: 20,
    });
  });

  it('rounds and clips a detection for reports', () => {
    expect(roundBox({ x: -3.4, y: 10.6, width: 20.2, height: 5, score: 0.98765 }, 15, 100)).toEqual({
      x: 0,
      y: 11,
      width: 15,
      height: 5,
      score: 0.988,
    });
  });
});
