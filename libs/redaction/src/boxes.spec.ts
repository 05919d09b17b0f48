import {
  evenTiles,
  expandBox,
  iou,
  mapFromTile,
  mergeBoxes,
  planTiles,
  roundBox,
  touchesInnerEdge,
  type Box,
  type Tile,
} from './boxes';

const covers = (tile: Box, box: Box) =>
  box.x >= tile.x &&
  box.y >= tile.y &&
  box.x + box.width <= tile.x + tile.width &&
  box.y + box.height <= tile.y + tile.height;

describe('evenTiles', () => {
  it('covers a side with the fewest equal tiles, overlapping by at least the overlap', () => {
    expect(evenTiles(1000, 1280, 160)).toEqual({ span: 1000, starts: [0] });
    const { span, starts: at } = evenTiles(4000, 1280, 160);
    expect(at).toHaveLength(4);
    expect(span).toBe(1120);
    expect(at.at(-1)! + span).toBe(4000);
    for (let i = 1; i < at.length; i++) expect(at[i - 1]! + span - at[i]!).toBeGreaterThanOrEqual(160);
  });
});

describe('planTiles', () => {
  it('is one full-resolution pass and a small upside-down pass for an image that fits a tile', () => {
    expect(planTiles(500, 400)).toEqual([
      { x: 0, y: 0, width: 500, height: 400, outWidth: 500, outHeight: 400, turn: 'none' },
      { x: 0, y: 0, width: 500, height: 400, outWidth: 500, outHeight: 400, turn: 'rotate180' },
    ]);
    expect(planTiles(1024, 768).map((t) => [t.outWidth, t.outHeight, t.turn])).toEqual([
      [1024, 768, 'none'],
      [640, 480, 'rotate180'],
    ]);
  });

  it('runs a smaller fine pass when only bigger faces must be found', () => {
    expect(planTiles(1024, 768, { minFaceSize: 32 })[0]).toMatchObject({ outWidth: 512, outHeight: 384 });
  });

  it('tiles a 12 MP photo at full resolution, with a coarse pass for the faces too big for a tile', () => {
    const tiles = planTiles(4000, 3000);
    expect(tiles[0]).toMatchObject({
      width: 4000,
      height: 3000,
      outWidth: 1024,
      outHeight: 768,
      turn: 'none',
    });
    expect(tiles.at(-1)).toMatchObject({ outWidth: 640, outHeight: 480, turn: 'rotate180' });
    const fine = tiles.slice(1, -1);
    expect(fine).toHaveLength(6);
    const pixels = fine.reduce((sum, t) => sum + t.outWidth * t.outHeight, 0);
    expect(pixels).toBeLessThan(1.1 * 4000 * 3000);
    for (const t of fine) {
      expect([t.outWidth, t.outHeight]).toEqual([t.width, t.height]);
      expect(t.x + t.width).toBeLessThanOrEqual(4000);
      expect(t.y + t.height).toBeLessThanOrEqual(3000);
    }
  });

  it('mirrors the fine passes when asked', () => {
    expect(planTiles(1024, 768, { flip: true }).map((t) => t.turn)).toEqual(['none', 'flip', 'rotate180']);
  });

  it('sees every face up to the overlap whole in some fine tile', () => {
    const tiles = planTiles(5001, 3003).filter((t) => t.outWidth === t.width);
    for (let x = 0; x + 96 <= 5001; x += 37) {
      for (let y = 0; y + 96 <= 3003; y += 41) {
        const face = { x, y, width: 96, height: 96 };
        expect(tiles.some((t) => covers(t, face))).toBe(true);
      }
    }
  });

  it('refuses an empty image', () => {
    expect(() => planTiles(0, 10)).toThrow(RangeError);
  });
});

describe('mapFromTile and touchesInnerEdge', () => {
  const tile: Tile = {
    x: 1000,
    y: 500,
    width: 1024,
    height: 1024,
    outWidth: 512,
    outHeight: 512,
    turn: 'none',
  };

  it('scales a box from the resized tile back to the source and moves it by the tile origin', () => {
    expect(mapFromTile({ x: 10, y: 20, width: 30, height: 40, score: 0.9 }, tile)).toEqual({
      x: 1020,
      y: 540,
      width: 60,
      height: 80,
      score: 0.9,
    });
  });

  it('undoes a mirrored or upside-down pass', () => {
    const box = { x: 10, y: 20, width: 30, height: 40, score: 0.9 };
    expect(mapFromTile(box, { ...tile, turn: 'flip' })).toMatchObject({ x: 1000 + (512 - 40) * 2, y: 540 });
    expect(mapFromTile(box, { ...tile, turn: 'rotate180' })).toMatchObject({
      x: 1000 + (512 - 40) * 2,
      y: 500 + (512 - 60) * 2,
      width: 60,
      height: 80,
    });
  });

  it('maps landmarks with their box, and swaps the pairs back after a mirrored pass', () => {
    // Eyes, nose, mouth corners of a face in the pass; the first of each pair on the pass's left.
    const landmarks = [10, 20, 30, 20, 20, 30, 12, 40, 28, 40];
    const box = { x: 5, y: 10, width: 30, height: 40, score: 0.9, landmarks };
    expect(mapFromTile(box, tile).landmarks).toEqual([1020, 540, 1060, 540, 1040, 560, 1024, 580, 1056, 580]);
    // Mirrored: the pass's left eye is the face's right one, on the image's right.
    expect(mapFromTile(box, { ...tile, turn: 'flip' }).landmarks).toEqual([
      1000 + (512 - 30) * 2,
      540,
      1000 + (512 - 10) * 2,
      540,
      1000 + (512 - 20) * 2,
      560,
      1000 + (512 - 28) * 2,
      580,
      1000 + (512 - 12) * 2,
      580,
    ]);
    // Upside down: the order stands (the model saw the face upright), the points turn by 180°.
    expect(mapFromTile(box, { ...tile, turn: 'rotate180' }).landmarks!.slice(0, 4)).toEqual([
      1000 + (512 - 10) * 2,
      500 + (512 - 20) * 2,
      1000 + (512 - 30) * 2,
      500 + (512 - 20) * 2,
    ]);
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
