// Child process of fleetlet's crash-point sweep: boots the slot store in a data directory and, unless told to only
// boot, installs the bundle next to it; FLEETLET_CRASH_AT makes the Nth persistence step SIGKILL this process.
// Usage: node crash-child.mjs <dataDir> <bundleFile> <healthy|unhealthy> <install|boot>

import { readFile } from 'node:fs/promises';
import { TrustStore } from '../../agent/update/trust-store.ts';
import { CrashPoints } from '../../agent/update/slots/_durable.ts';
import { UpdateMachine } from '../../agent/update/slots/machine.ts';
import { sweepGate, SWEEP_DEVICE, SWEEP_NOW } from './crash-gate.ts';

const [dataDir, bundleFile, verdict, mode] = process.argv.slice(2);
if (dataDir === undefined || bundleFile === undefined || (verdict !== 'healthy' && verdict !== 'unhealthy') || (mode !== 'install' && mode !== 'boot')) {
  process.stderr.write('Usage: crash-child <dataDir> <bundleFile> <healthy|unhealthy> <install|boot>\n');
  process.exit(2);
}
const crash = CrashPoints.fromEnv();
const trust = await TrustStore.open(dataDir, { clock: () => SWEEP_NOW });
const machine = await UpdateMachine.open({ dataDir, trust, device: SWEEP_DEVICE, health: sweepGate(dataDir, verdict), crash });
await machine.boot();
if (mode === 'install') await machine.installBundle(new Uint8Array(await readFile(bundleFile)));
process.stdout.write(`${JSON.stringify({ points: crash.passed, state: machine.record.state })}\n`);
