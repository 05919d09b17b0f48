import { mkdir, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { collectFiles, PathError } from './files';
import { tempTree } from './testing/helpers';

describe('collectFiles', () => {
  let tree: Awaited<ReturnType<typeof tempTree>>;

  beforeEach(async () => {
    tree = await tempTree({
      'photos/b.jpg': 'bb',
      'photos/a.png': 'a',
      'photos/.DS_Store': 'x',
      'photos/.hidden/secret.jpg': 'x',
      'photos/trip/day1/c.jpg': 'ccc',
      'photos/trip/d.jpeg': 'dddd',
      'single.jpg': '12345',
      '.dotfile-named.jpg': 'explicit',
    });
    await mkdir(join(tree.root, 'photos/empty'));
  });
  afterEach(() => tree.remove());

  const rel = (files: { path: string }[]) => files.map((f) => relative(tree.root, f.path));

  it('walks folders recursively in name order, skips dotfiles and dot-folders, keeps sizes', async () => {
    const files = await collectFiles([join(tree.root, 'photos')]);
    expect(rel(files)).toEqual([
      'photos/a.png',
      'photos/b.jpg',
      'photos/trip/d.jpeg',
      'photos/trip/day1/c.jpg',
    ]);
    expect(files.map((f) => [f.filename, f.size])).toEqual([
      ['a.png', 1],
      ['b.jpg', 2],
      ['d.jpeg', 4],
      ['c.jpg', 3],
    ]);
  });

  it('takes named files as they are, even a dotfile, in the order given', async () => {
    const files = await collectFiles([join(tree.root, 'single.jpg'), join(tree.root, '.dotfile-named.jpg')]);
    expect(rel(files)).toEqual(['single.jpg', '.dotfile-named.jpg']);
  });

  it('uploads a file reached twice once, and follows links without looping', async () => {
    await symlink(join(tree.root, 'photos'), join(tree.root, 'photos/trip/loop'));
    await symlink(join(tree.root, 'single.jpg'), join(tree.root, 'photos/link.jpg'));
    await symlink(join(tree.root, 'nowhere.jpg'), join(tree.root, 'photos/dangling.jpg'));
    const files = await collectFiles([
      join(tree.root, 'photos'),
      join(tree.root, 'photos/trip'),
      join(tree.root, 'single.jpg'),
    ]);
    expect(rel(files)).toEqual([
      'photos/a.png',
      'photos/b.jpg',
      'photos/link.jpg',
      'photos/trip/d.jpeg',
      'photos/trip/day1/c.jpg',
    ]);
    expect(files[2]).toMatchObject({ filename: 'link.jpg', size: 5 });
  });

  it('finds nothing in an empty folder', async () => {
    await expect(collectFiles([join(tree.root, 'photos/empty')])).resolves.toEqual([]);
  });

  it('names a path that does not exist', async () => {
    const missing = join(tree.root, 'nope');
    await expect(collectFiles([missing])).rejects.toThrow(
      new PathError(`no such file or folder: ${missing}`),
    );
  });
});
