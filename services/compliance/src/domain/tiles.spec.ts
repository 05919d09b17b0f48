import { tileScalesFor } from './tiles';

describe('tileScalesFor', () => {
  it('keeps both levels for 24 px faces (the default), as the evaluation measured', () => {
    expect(tileScalesFor(24, 1024, 768)).toEqual([0.5, 1]);
    expect(tileScalesFor(24, 4000, 3000)).toEqual([0.5, 1]);
  });

  it('drops the full-resolution level when the smallest face is 48 px or more', () => {
    expect(tileScalesFor(48, 4000, 3000)).toEqual([0.5]);
    expect(tileScalesFor(30, 4000, 3000)).toEqual([0.5, 1]);
  });

  it('needs no tile when the whole-image pass shows the smallest face at 24 px', () => {
    expect(tileScalesFor(48, 1024, 768)).toEqual([]);
    expect(tileScalesFor(24, 512, 384)).toEqual([]);
    expect(tileScalesFor(200, 4000, 3000)).toEqual([]);
  });

  it('keeps the levels when the size is unknown', () => {
    expect(tileScalesFor(24, 0, 0)).toEqual([0.5, 1]);
  });
});
