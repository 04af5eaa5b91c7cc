// Fuzzing of every decoder of untrusted bytes in fleetlet's trust layer (bundle layout, COSE_Sign1, COSE_Sign) and of
// the verification pipeline over them (manifest, desired state, trust update), with fast-check: random bytes,
// mutated valid documents and structure-aware COSE envelopes. Each input must be accepted or refused with an
// UpdateRejected; anything else is a failure, and so is an accepted mutant that differs from its valid original.

import fc from 'fast-check';
import { encodeCbor, Tagged } from '../../schemas/cbor/index.ts';
import { encodeDesiredState } from '../../schemas/messages/desired-state.ts';
import { encodeManifest } from '../../schemas/messages/manifest.ts';
import { encodeTrustUpdate, type TrustUpdate } from '../../schemas/messages/trust-update.ts';
import { decodeBundle, encodeBundle } from '../../agent/update/bundle.ts';
import { decodeSign, decodeSign1, protectedHeader, signSign, signSign1 } from '../../agent/update/cose.ts';
import { keyPairFromSeed } from '../../agent/update/ed25519.ts';
import { EMPTY_FLOORS } from '../../agent/update/floors.ts';
import { UpdateRejected } from '../../agent/update/rejection.ts';
import { checkTrustUpdate } from '../../agent/update/_trust-update.ts';
import { verifyDesiredState, verifyManifest, type VerifyContext } from '../../agent/update/verify.ts';
import { DAY, DEVICE, desiredState, manifest, T0, wasmModule, type Actor } from './fixtures.ts';

/** One decoder under fuzz. */
export interface Target {
  readonly name: string;
  /** Inputs: random, mutated from `seeds`, or structured. */
  readonly input: fc.Arbitrary<Uint8Array>;
  /** Valid inputs that must be accepted exactly as they are. */
  readonly seeds: readonly Uint8Array[];
  /** Runs the decoder; returns normally when it accepts. */
  run(bytes: Uint8Array): unknown;
}

export interface FuzzReport {
  readonly target: string;
  readonly runs: number;
  readonly accepted: number;
  /** Refusals per rejection code. */
  readonly refused: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

// Deterministic keys, so that every run of the fuzzer sees the same documents.
function fixedActor(id: string, role: Actor['role'], seedByte: number): Actor {
  return { id, role, kp: keyPairFromSeed(new Uint8Array(32).fill(seedByte)), notBefore: 0, notAfter: T0 + 10 * 365 * DAY };
}

const ROOTS = [fixedActor('root-1', 'root', 1), fixedActor('root-2', 'root', 2)];
const MODULE_SIGNER = fixedActor('module-1', 'module-signer', 3);
const STATE_SIGNER = fixedActor('state-1', 'state-signer', 4);

function trustDoc(sequence: number): TrustUpdate {
  return {
    v: 1, sequence, issuedAt: T0 - DAY, expiresAt: T0 + 365 * DAY, rootThreshold: 2,
    keys: [...ROOTS, MODULE_SIGNER, STATE_SIGNER].map((a) => ({ id: a.id, publicKey: a.kp.publicKey, role: a.role, notBefore: a.notBefore, notAfter: a.notAfter })),
    revoked: [],
  };
}

const signer = (a: Actor) => ({ kid: a.id, seed: a.kp.seed });
const TRUST1 = signSign(encodeTrustUpdate(trustDoc(1)), ROOTS.map(signer));
const TRUST2 = signSign(encodeTrustUpdate(trustDoc(2)), ROOTS.map(signer));
const CONTEXT: VerifyContext = { trust: checkTrustUpdate(TRUST1, undefined, T0), floors: EMPTY_FLOORS, now: T0, device: DEVICE };
const MODULE = wasmModule(9);
const MANIFEST = signSign1(encodeManifest(manifest(MODULE)), signer(MODULE_SIGNER));
const STATE = signSign1(encodeDesiredState(desiredState([{ name: 'thermostat', signed: MANIFEST }])), signer(STATE_SIGNER));
const BUNDLE = encodeBundle({ signedManifest: MANIFEST, module: MODULE });

/** Byte-level mutations of a valid input: flips, overwrites, inserts, deletes, truncations, duplications. */
function mutated(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([seed, edits]) => {
    let b = Array.from(seed);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << e.bit);
      else if (e.kind === 'set' && b.length > 0) b[at] = e.value;
      else if (e.kind === 'insert') b.splice(at, 0, ...e.bytes);
      else if (e.kind === 'delete') b.splice(at, e.n);
      else if (e.kind === 'truncate') b = b.slice(0, at);
      else if (e.kind === 'duplicate') b.splice(at, 0, ...b.slice(at, at + e.n));
    }
    return Uint8Array.from(b);
  });
}

/** CBOR values such as COSE envelopes hold, to build structure-aware envelopes. */
const cborLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }), fc.constant(null), fc.boolean(), fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 80 }),
);
const cborValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, cborLeaf, fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.integer({ min: -8, max: 8 }), tie('v')), { maxLength: 4 }).map((es) => new Map(es))),
})).v;

const header = fc.oneof(
  fc.constant(protectedHeader('module-1')),
  fc.constant(protectedHeader('state-1')),
  cborValue.map((v) => encodeCbor(v)),
  fc.uint8Array({ maxLength: 20 }),
);
const sig1Envelope: fc.Arbitrary<Uint8Array> = fc
  .tuple(header, fc.oneof(fc.constant(new Map()), cborValue), fc.oneof(fc.constant(encodeManifest(manifest(MODULE))), cborValue.map((v) => encodeCbor(v)), cborValue), fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), cborValue))
  .map((items) => encodeCbor(new Tagged(18, items)));
const signEnvelope: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.oneof(fc.constant(new Uint8Array(0)), header), fc.oneof(fc.constant(new Map()), cborValue), fc.oneof(fc.constant(encodeTrustUpdate(trustDoc(2))), cborValue),
    fc.array(fc.tuple(header, fc.oneof(fc.constant(new Map()), cborValue), fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), cborValue)), { maxLength: 3 }))
  .map((items) => encodeCbor(new Tagged(98, items)));

function inputs(seeds: readonly Uint8Array[], structured?: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const base = [{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 5, arbitrary: mutated(seeds) }];
  return fc.oneof(...base, ...(structured === undefined ? [] : [{ weight: 3, arbitrary: structured }]));
}

export function allTargets(): Target[] {
  return [
    { name: 'bundle', seeds: [BUNDLE], input: inputs([BUNDLE]), run: decodeBundle },
    { name: 'cose-sign1', seeds: [MANIFEST, STATE], input: inputs([MANIFEST, STATE], sig1Envelope), run: (b) => decodeSign1(b) },
    { name: 'cose-sign', seeds: [TRUST1, TRUST2], input: inputs([TRUST1, TRUST2], signEnvelope), run: (b) => decodeSign(b) },
    { name: 'manifest', seeds: [MANIFEST], input: inputs([MANIFEST], sig1Envelope), run: (b) => verifyManifest(b, CONTEXT) },
    { name: 'desired-state', seeds: [STATE], input: inputs([STATE], sig1Envelope), run: (b) => verifyDesiredState(b, [MANIFEST], CONTEXT) },
    { name: 'trust-update', seeds: [TRUST2], input: inputs([TRUST2], signEnvelope), run: (b) => checkTrustUpdate(b, CONTEXT.trust, T0) },
  ];
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Fuzzes one target with `runs` inputs from `seed`. */
export function fuzz(t: Target, runs: number, seed: number): FuzzReport {
  const refused: Record<string, number> = {};
  const failures: string[] = [];
  let accepted = 0;
  for (const s of t.seeds) t.run(s); // the valid originals must pass, or the harness proves nothing
  fc.assert(
    fc.property(t.input, (bytes) => {
      try {
        t.run(bytes);
      } catch (e) {
        if (e instanceof UpdateRejected) {
          refused[e.code] = (refused[e.code] ?? 0) + 1;
          return;
        }
        failures.push(`${t.name}: ${(e as Error)?.stack ?? String(e)} on ${hex(bytes).slice(0, 400)}`);
        return;
      }
      accepted++;
      // Decoders of the envelope alone may accept new envelopes; a verified document must be a valid original.
      if (t.name !== 'bundle' && t.name !== 'cose-sign1' && t.name !== 'cose-sign' && !t.seeds.some((s) => equal(s, bytes))) {
        failures.push(`${t.name}: accepted a mutant that differs from every valid original: ${hex(bytes).slice(0, 400)}`);
      }
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return { target: t.name, runs, accepted, refused, failures };
}
