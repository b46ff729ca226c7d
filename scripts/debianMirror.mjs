// The Debian mirror this machine's apt already uses, so that setup adds bookworm-backports on
// the same URI (a mirror, a proxy or a snapshot) instead of a hard-coded host.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The URI the system's own apt sources use for `codename` (deb822 `.sources` files or one-line
 * lists), so the backports suite comes from the same mirror or snapshot the machine is set to.
 */
export function debianMirror(codename, files = aptSourceFiles()) {
  for (const text of files) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes(codename)) return uris;
    }
    for (const line of text.split('\n')) {
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/.exec(line.trim() + ' ');
      if (match && match[2] === codename) return match[1];
    }
  }
  return undefined;
}

export function aptSourceFiles() {
  const dir = '/etc/apt/sources.list.d';
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.sources') || n.endsWith('.list')).map((n) => join(dir, n)) : [];
  return ['/etc/apt/sources.list', ...names].filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
}

