#!/usr/bin/env node
// The README's library code is examples/*.ts, word for word: each ```ts block follows a line
// `<!-- example: examples/NAME.ts -->` and must equal that file, and every example appears
// once. test/examples/examples.test.ts type-checks and runs the files, so the README cannot
// show code that does not compile or run.
//   node scripts/checkReadmeExamples.mjs           # lists the differences, exit 1 if any
//   node scripts/checkReadmeExamples.mjs --write   # copies each example into its README block
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MARKER = /^<!-- example: (examples\/[\w.-]+\.ts) -->$/;
const FENCE = /^```(ts|typescript|js|javascript)\s*$/;

/** The README's library blocks: { file (from its marker, or undefined), start and end line of the code, code }. */
export function readmeBlocks(readme) {
  const lines = readme.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: code block never closed`);
    let above = i - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const file = above >= 0 ? MARKER.exec(lines[above].trim())?.[1] : undefined;
    blocks.push({ file, line: i + 1, start: i + 1, end, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** What differs between the README and examples/, one sentence each; empty when they agree. */
export function checkReadmeExamples(root) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => `examples/${f}`).sort();
  const problems = [];
  const seen = new Map();
  for (const block of readmeBlocks(readme)) {
    if (!block.file) {
      problems.push(`README.md:${block.line}: a library code block without a <!-- example: examples/NAME.ts --> line above it`);
      continue;
    }
    seen.set(block.file, (seen.get(block.file) ?? 0) + 1);
    if (!examples.includes(block.file)) {
      problems.push(`README.md:${block.line}: ${block.file} does not exist`);
      continue;
    }
    const code = readFileSync(join(root, block.file), 'utf8').replace(/\n$/, '');
    if (code !== block.code) {
      const a = code.split('\n');
      const b = block.code.split('\n');
      const at = a.findIndex((line, i) => line !== b[i]);
      const n = at < 0 ? b.length : at;
      problems.push(`README.md:${block.line}: the block differs from ${block.file} at its line ${n + 1}: README ${JSON.stringify(b[n] ?? '(end)')}, file ${JSON.stringify(a[n] ?? '(end)')}`);
    }
  }
  for (const file of examples) {
    const count = seen.get(file) ?? 0;
    if (count !== 1) problems.push(`${file}: in README.md ${count} times, expected once`);
  }
  return problems;
}

/** Replaces each marked block's code with its file's. */
export function writeReadmeExamples(root) {
  const path = join(root, 'README.md');
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const block of readmeBlocks(lines.join('\n')).reverse()) {
    if (!block.file) continue;
    const code = readFileSync(join(root, block.file), 'utf8').replace(/\n$/, '').split('\n');
    lines.splice(block.start, block.end - block.start, ...code);
  }
  writeFileSync(path, lines.join('\n'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (process.argv.includes('--write')) writeReadmeExamples(root);
  const problems = checkReadmeExamples(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log('README.md: every library code block is its examples/ file');
}
