// The operator's offline side of fleetlet's demo, done with the same functions as `fleetlet keygen`, `fleetlet trust
// init` and `fleetlet sign`: fresh keys (three roots, a module signer, a state signer), the fleet's first trust update
// signed by two roots, and the demo's bundles of the thermostat example (a good update, a bad one, and the good one
// re-signed with a higher sequence, which is what a roll back re-issues: the cloud cannot sign manifests).

import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { keygen } from '../../agent/cli/keygen.ts';
import { sign } from '../../agent/cli/sign.ts';
import { trustInit } from '../../agent/cli/trust.ts';
import { buildExample, findExamples, isStale } from '../../examples/build.ts';

/** Where the demo's keys, trust update and bundles are, once made. */
export interface DemoOperatorFiles {
  readonly trustFile: string;
  readonly stateKeyFile: string;
  /** Bundles in the order the demo uses them. */
  readonly bundles: {
    /** thermostat 1.0.0, sequence 1: what every device runs first. */
    readonly v1: string;
    /** thermostat 1.1.0, sequence 2: the good update. */
    readonly v2: string;
    /** thermostat 1.2.0, sequence 3: a build that traps at start (the bad update). */
    readonly bad: string;
    /** thermostat 1.1.0 re-signed with sequence 4: what rolling the bad update back re-issues. */
    readonly rollback: string;
  };
}

const repo = resolve(import.meta.dirname, '..', '..');

/** The command line each step stands for, for the demo's narration. */
export type Narrate = (line: string) => void;

/**
 * Makes the keys, the trust update and the four bundles under `dir` (fresh each time: a demo never reuses keys).
 * @throws CliError from the commands it runs
 */
export async function prepareOperatorFiles(dir: string, narrate: Narrate = () => {}): Promise<DemoOperatorFiles> {
  const keys = join(dir, 'keys');
  const ids = { roots: ['root-1', 'root-2', 'root-3'], module: 'module-1', state: 'state-1' };
  for (const id of ids.roots) await keygen({ role: 'root', out: keys, id });
  await keygen({ role: 'module-signer', out: keys, id: ids.module });
  await keygen({ role: 'state-signer', out: keys, id: ids.state });
  narrate(`fleetlet keygen: 3 root keys, module signer "${ids.module}", state signer "${ids.state}" in ${keys}`);

  const trustFile = join(dir, 'trust.cose');
  const pub = (id: string): string => join(keys, `${id}.pub`);
  await trustInit({
    key: [...ids.roots, ids.module, ids.state].map(pub),
    threshold: '2',
    out: trustFile,
    sign: [join(keys, 'root-1.key'), join(keys, 'root-2.key')],
    expiresIn: '365d',
    keyValidFor: '730d',
  });
  narrate(`fleetlet trust init: the fleet's trust update, signed by 2 of 3 roots -> ${trustFile}`);

  // The two example apps the demo ships, compiled with AssemblyScript when their build is missing or stale.
  for (const app of findExamples().filter((a) => a.name === 'thermostat' || a.name === 'trap-at-start')) {
    if (isStale(app)) await buildExample(app);
  }
  const thermostat = join(repo, 'examples', 'thermostat', 'fleetlet.app.json');
  const trapModule = join(repo, 'examples', 'build', 'trap-at-start.wasm');
  const descriptors = join(dir, 'descriptors');
  const { mkdir, readFile } = await import('node:fs/promises');
  await mkdir(descriptors, { recursive: true });
  const base = JSON.parse(await readFile(thermostat, 'utf8')) as Record<string, unknown>;
  const thermostatModule = resolve(join(repo, 'examples', 'thermostat'), String(base['module']));
  const descriptor = async (name: string, over: Record<string, unknown>): Promise<string> => {
    const file = join(descriptors, `${name}.app.json`);
    await writeFile(file, JSON.stringify({ ...base, module: thermostatModule, ...over }, null, 2));
    return file;
  };
  const bundleDir = join(dir, 'bundles');
  await mkdir(bundleDir, { recursive: true });
  const moduleKey = join(keys, `${ids.module}.key`);
  const signOne = async (descriptorFile: string, sequence: number, out: string, module?: string): Promise<string> => {
    await sign(descriptorFile, { key: moduleKey, sequence: String(sequence), expiresIn: '90d', out, ...(module === undefined ? {} : { module }) });
    return out;
  };
  const v1 = await signOne(await descriptor('thermostat-1.0.0', { version: '1.0.0' }), 1, join(bundleDir, 'thermostat-1.0.0.bundle'));
  const v2 = await signOne(await descriptor('thermostat-1.1.0', { version: '1.1.0' }), 2, join(bundleDir, 'thermostat-1.1.0.bundle'));
  // The bad build: the thermostat's name and version 1.2.0 on a module that traps in `init` (examples/misbehaving).
  const bad = await signOne(
    await descriptor('thermostat-1.2.0', { version: '1.2.0', module: trapModule, capabilities: [], tickPeriodMs: 100, limits: {} }),
    3,
    join(bundleDir, 'thermostat-1.2.0.bundle'),
  );
  const rollback = await signOne(await descriptor('thermostat-1.1.0', { version: '1.1.0' }), 4, join(bundleDir, 'thermostat-1.1.0-reissue.bundle'));
  narrate(`fleetlet sign: thermostat 1.0.0 (seq 1), 1.1.0 (seq 2), 1.2.0 (seq 3, traps at start), 1.1.0 re-signed (seq 4) -> ${bundleDir}`);
  return { trustFile, stateKeyFile: join(keys, `${ids.state}.key`), bundles: { v1, v2, bad, rollback } };
}
