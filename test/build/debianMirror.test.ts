// setup.mjs adds bookworm-backports on the URI the machine's own apt sources use.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { debianMirror } from '../../scripts/debianMirror.mjs';

const deb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('debianMirror', () => {
  it('reads deb822 stanzas and one-line lists, matching the suite exactly', () => {
    expect(debianMirror('bookworm', [deb822])).toBe('http://mirror.example/debian');
    expect(debianMirror('bookworm', ['deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib\n'])).toBe('http://one.example/debian');
    expect(debianMirror('bookworm', ['deb http://x.example/debian bookworm-backports main\n', deb822])).toBe('http://mirror.example/debian');
    expect(debianMirror('bookworm', ['# deb http://commented.example/debian bookworm main\n'])).toBeUndefined();
    expect(debianMirror('trixie', [deb822])).toBeUndefined();
  });
});
