// Collects the files to upload from the paths given on the command line.
//
// A file named on the command line is taken as is. A folder is walked recursively in name order;
// entries whose name starts with "." (dotfiles, .git, .DS_Store, ...) are skipped, as is anything
// that is not a regular file (sockets, devices). Symbolic links are followed, each real folder is
// walked once (no loops), and a file reached twice is uploaded once.
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface LocalFile {
  /** The path to open: as given on the command line, or joined below a given folder. */
  path: string;
  /** The filename sent to the API. */
  filename: string;
  size: number;
}

export class PathError extends Error {
  override readonly name = 'PathError';
}

export async function collectFiles(paths: readonly string[]): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();

  const addFile = async (path: string, size: number): Promise<void> => {
    const real = await realpath(path);
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    files.push({ path, filename: basename(path), size });
  };

  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      let isFile = entry.isFile();
      let isDir = entry.isDirectory();
      let size: number | undefined;
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined); // a dangling link is skipped
        if (!target) continue;
        isFile = target.isFile();
        isDir = target.isDirectory();
        size = target.size;
      }
      if (isDir) await walk(path);
      else if (isFile) await addFile(path, size ?? (await stat(path)).size);
    }
  };

  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new PathError(
        error.code === 'ENOENT' ? `no such file or folder: ${path}` : `cannot read ${path}: ${error.message}`,
      );
    });
    if (info.isDirectory()) await walk(path);
    else if (info.isFile()) await addFile(path, info.size);
    else throw new PathError(`not a file or folder: ${path}`);
  }
  return files;
}
