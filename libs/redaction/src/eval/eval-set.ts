// The redaction evaluation sets: real labelled photos in ../shared/eval (WIDER FACE validation
// photos with their ground-truth boxes, face-free scenes, vehicles with annotated plates; see its
// README). Read in place, never copied: a caller skips when the folder is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';

import type { Box } from '../boxes';

export interface LabelledBox extends Box {
  /** WIDER's invalid flag: a don't-care region (neither a hit nor a miss nor a false alarm). */
  ignore: boolean;
  /**
   * WIDER's labels (faces only): blur 0 clear, 1 normal, 2 heavy; illumination 1 extreme; occlusion
   * 0 none, 1 partial, 2 heavy; pose 1 atypical (profiles, tilted heads).
   */
  wider?: { blur: number; illumination: number; occlusion: number; pose: number };
}

export interface EvalPhoto {
  /** The file name, e.g. "0_Parade_marchingband_1_20.jpg". */
  name: string;
  path: string;
  boxes: LabelledBox[];
}

/**
 * The folder of the evaluation sets: $APERTURE_EVAL_DIR, else `../shared/eval` beside the checkout
 * (found from the sources or from dist/), else undefined.
 */
export function evalDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env['APERTURE_EVAL_DIR'],
    ...ancestors(__dirname).map((dir) => join(dir, 'shared', 'eval')),
  ];
  return candidates.find((dir): dir is string => Boolean(dir) && existsSync(join(dir!, 'README.md')));
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); ; d = resolve(d, '..')) {
    out.push(d);
    if (d === resolve(d, '..')) return out;
  }
}

/**
 * The photos of one set ("faces" or "plates"), sorted by name, with their boxes from the sibling
 * .txt files: `x y w h` and, for faces, WIDER's `invalid` flag as the fifth field.
 */
export function evalPhotos(dir: string, set: 'faces' | 'plates'): EvalPhoto[] {
  const folder = join(dir, set);
  return readdirSync(folder)
    .filter((name) => /\.(jpe?g|png)$/i.test(name))
    .sort()
    .map((name) => {
      const labels = join(folder, `${basename(name, extname(name))}.txt`);
      const boxes = readFileSync(labels, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const [x, y, width, height, invalid, blur, , illumination, occlusion, pose] = line
            .trim()
            .split(' ')
            .map(Number);
          const box: LabelledBox = {
            x: x!,
            y: y!,
            width: width!,
            height: height!,
            ignore: set === 'faces' && invalid === 1,
          };
          if (set === 'faces')
            box.wider = { blur: blur!, illumination: illumination!, occlusion: occlusion!, pose: pose! };
          return box;
        });
      return { name, path: join(folder, name), boxes };
    });
}

/**
 * The held-out photos: reported apart because the default thresholds and pass plan were chosen
 * on the others. Faces: one photo of each kind of scene (small-face parade, tilted group,
 * interview, running pack) and a face-free scene; plates: photos from each source and a negative.
 */
export const HELD_OUT = new Set([
  '0_Parade_marchingband_1_329.jpg',
  '0_Parade_marchingband_1_629.jpg',
  '12_Group_Group_12_Group_Group_12_249.jpg',
  '13_Interview_Interview_2_People_Visible_13_189.jpg',
  '33_Running_Running_33_316.jpg',
  'noface_darknet_horses.jpg',
  'noface_detectron_34501842524_street.jpg',
  'openalpr_us_car13.jpg',
  'openalpr_eu_eu7.jpg',
  'openalpr_eu_test_008.jpg',
  'openalpr_br_JRV1942.jpg',
  'alprunc_00024.jpg',
  'ccpd_3.jpg',
  'noplate_darknet_dog.jpg',
]);
