// A 5×7 pixel font with just the characters Figure 1's panel titles use, drawn through a
// put-pixel callback, so the PNG needs no font library. Its own file because it is data (the
// glyphs) that has nothing to do with boundaries: a new title character is a new row here.

/** Title glyphs are 5×7 cells of this many pixels. */
export const TEXT_SCALE = 2;

/** Each glyph as 7 rows of 5 cells, '#' inked; characters are 6 cells apart (one blank column). */
const GLYPHS: Record<string, readonly string[]> = {
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
};

/** Black text from (left, top), cut at `width` pixels so a title never runs into the next panel. */
export function drawText(text: string, left: number, top: number, width: number, put: (x: number, y: number, rgb: readonly number[]) => void): void {
  const clipped = (x: number, y: number) => x < width && put(left + x, top + y, [0, 0, 0]);
  [...text].forEach((char, k) => {
    const glyph = GLYPHS[char];
    if (!glyph) throw new RangeError(`drawText: no glyph for ${JSON.stringify(char)} in ${JSON.stringify(text)}; the font has ${Object.keys(GLYPHS).join('')}`);
    glyph.forEach((row, gy) => {
      [...row].forEach((mark, gx) => {
        if (mark !== '#') return;
        for (let dy = 0; dy < TEXT_SCALE; dy++) for (let dx = 0; dx < TEXT_SCALE; dx++) clipped((6 * k + gx) * TEXT_SCALE + dx, gy * TEXT_SCALE + dy);
      });
    });
  });
}
