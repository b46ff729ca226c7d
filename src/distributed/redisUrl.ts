// The Redis a study's queue lives on, as a URL: redis://[user:password@]host[:port][/db], or
// rediss://… for TLS. The URL goes to ioredis as it is; what is shown of it — in messages,
// logs, errors from the client — has the password replaced by "***", everywhere.
import { ValidationError } from '../validate.ts';

export interface RedisTarget {
  /** The URL as given: for the client only, never to be printed. */
  url: string;
  /** The URL with its password replaced by "***": the one to print. */
  shown: string;
  /** Replaces the password (as given and as URL-encoded) in any text by "***". */
  redact(text: string): string;
}

/** Where the URL comes from when --redis is not given. */
export const REDIS_URL_VARIABLE = 'ESPGPU_REDIS_URL';

/** Checks a Redis URL; errors show it without its password. */
export function parseRedisUrl(url: string | undefined, where = '--redis'): RedisTarget {
  if (url === undefined || url === '') throw new ValidationError(`${where}: a Redis URL is needed (redis://[user:password@]host[:port][/db] or rediss://…), or $${REDIS_URL_VARIABLE}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`${where}: not a URL: ${redactUnparsed(url)} (expected redis://[user:password@]host[:port][/db] or rediss://…)`);
  }
  const secrets = parsed.password ? [...new Set([parsed.password, safeDecode(parsed.password)])].filter((s) => s.length > 0) : [];
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  const target: RedisTarget = { url, shown: redact(url), redact };
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ValidationError(`${where}: ${target.shown} is not a Redis URL: it must start with redis:// or rediss:// (TLS)`);
  }
  if (!parsed.hostname) throw new ValidationError(`${where}: ${target.shown} names no host`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^(0|[1-9][0-9]*)$/.test(db)) throw new ValidationError(`${where}: ${target.shown}: the database after the host must be a number, got "${db}"`);
  return target;
}

/** A string that is not a URL may still hold a password: show only its scheme and host-like tail. */
function redactUnparsed(text: string): string {
  const at = text.lastIndexOf('@');
  return at < 0 ? JSON.stringify(text) : JSON.stringify(`***${text.slice(at)}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
