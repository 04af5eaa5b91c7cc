// Operator tokens of fleetlet's HTTP API: who a `Authorization: Bearer` header names, compared in constant time
// (SHA-256 digests through timingSafeEqual, every operator compared), so a token cannot be guessed byte by byte.

import { createHash, timingSafeEqual } from 'node:crypto';
import { OpsError } from '../service/ops.ts';

export interface Operator {
  readonly name: string;
  readonly token: string;
}

/** Shortest operator token the server accepts (a token is a password: 16 characters at least). */
export const MIN_TOKEN_CHARS = 16;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class OperatorTokens {
  private readonly entries: readonly { readonly name: string; readonly digest: Buffer }[];

  /** @throws RangeError for an operator without a name, a token shorter than MIN_TOKEN_CHARS, or two operators sharing a name or token */
  constructor(operators: readonly Operator[]) {
    const names = new Set<string>();
    const tokens = new Set<string>();
    for (const [i, o] of operators.entries()) {
      if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/.test(o.name)) throw new RangeError(`Invalid operator name at ${i}: need 1 to 64 letters, digits, ".", "_", "@", ":", "-"`);
      if (typeof o.token !== 'string' || o.token.length < MIN_TOKEN_CHARS) throw new RangeError(`Invalid token of operator "${o.name}": need at least ${MIN_TOKEN_CHARS} characters`);
      if (names.has(o.name)) throw new RangeError(`Operator "${o.name}" is named twice`);
      if (tokens.has(o.token)) throw new RangeError(`Operator "${o.name}" shares its token with another operator`);
      names.add(o.name);
      tokens.add(o.token);
    }
    this.entries = operators.map((o) => ({ name: o.name, digest: digest(o.token) }));
  }

  /**
   * The operator an Authorization header names.
   * @throws OpsError 'unauthorized' (no bearer token), 'forbidden' (a token no operator holds)
   */
  actorOf(header: string | undefined): string {
    if (header === undefined || header === '') throw new OpsError('unauthorized', 'This call needs an operator token: send "Authorization: Bearer <token>"');
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
    if (m === null) throw new OpsError('unauthorized', 'Cannot read the Authorization header: need "Bearer <token>"');
    const presented = digest(m[1]!);
    let found: string | undefined;
    for (const e of this.entries) if (timingSafeEqual(presented, e.digest) && found === undefined) found = e.name;
    if (found === undefined) throw new OpsError('forbidden', 'The operator token is not known to this cloud');
    return found;
  }
}
