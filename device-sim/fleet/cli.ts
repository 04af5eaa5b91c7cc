// `fleetlet sim`: runs a fleet of simulated devices (real fleetlet agents in worker processes) against a broker, with
// seeded faults, and prints one line a second: devices online, enrolled, and how many run each version. Stops
// cleanly on SIGINT or SIGTERM (or after --duration). Only the command's wiring is loaded with the CLI; the
// simulator loads when the command runs.

import type { Command } from 'commander';
import type { CliIo } from '../../agent/cli/main.ts';

export interface SimCommandOptions {
  readonly devices: string;
  readonly broker: string;
  readonly trust: string;
  readonly data?: string;
  readonly processes: string;
  readonly offline: string;
  readonly slow: string;
  readonly powerCuts: string;
  readonly skew: string;
  readonly seed: string;
  readonly token?: string;
  readonly duration?: string;
}

export function registerSim(p: Command, io: CliIo): void {
  p.command('sim')
    .description('Run N simulated devices (real agents, no hardware) against a broker, with faults; prints the fleet once a second')
    .requiredOption('--devices <n>', 'how many devices (ids sim-0001.., class "sim", tags site=a|b|c and ring=canary|main)')
    .requiredOption('--broker <url>', 'the fleet\'s MQTT broker, mqtt://host:port')
    .requiredOption('--trust <file>', 'the fleet\'s trust update file: its root keys and threshold are what devices pin to enroll')
    .option('--data <dir>', 'root of the devices\' data directories (kept; default: a temp folder removed at the end)')
    .option('--processes <k>', 'worker processes for devices without power cuts', '2')
    .option('--offline <p>', 'fraction of devices whose link goes down now and then', '0')
    .option('--slow <p>', 'fraction of devices on a slow link (50 ms delay, 32 KiB/s)', '0')
    .option('--power-cuts <p>', 'fraction of devices that lose power once during an update', '0')
    .option('--skew <s>', 'clocks are off by up to this many seconds, either way', '0')
    .option('--seed <x>', 'seed of every random choice', '1')
    .option('--token <t>', 'enrollment token the devices present')
    .option('--duration <s>', 'stop after this many seconds (default: run until SIGINT or SIGTERM)')
    .action(async (o: SimCommandOptions) => runSim(o, io));
}

/** Runs the command; resolves after a clean stop. @throws CliError for bad options or an unreadable trust file */
export async function runSim(o: SimCommandOptions, io: CliIo): Promise<void> {
  const { CliError, EXIT } = await import('../../agent/cli/errors.ts');
  const parse = (name: string, text: string, integer: boolean, min: number, max: number): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n)) || n < min || n > max) {
      throw new CliError(`Invalid --${name} "${text}": need ${integer ? 'an integer' : 'a number'} in ${min}..${max}`, EXIT.usage);
    }
    return n;
  };
  const devices = parse('devices', o.devices, true, 1, 100_000);
  const processes = parse('processes', o.processes, true, 1, 64);
  const offline = parse('offline', o.offline, false, 0, 1);
  const slow = parse('slow', o.slow, false, 0, 1);
  const powerCuts = parse('power-cuts', o.powerCuts, false, 0, 1);
  const skewS = parse('skew', o.skew, false, 0, 86_400 * 365);
  const seed = parse('seed', o.seed, true, 0, 2 ** 32 - 1);
  const duration = o.duration === undefined ? undefined : parse('duration', o.duration, false, 0, 86_400 * 365);
  if (!/^mqtts?:\/\//.test(o.broker)) throw new CliError(`Invalid --broker "${o.broker}": need an mqtt:// URL`, EXIT.usage);
  const enrollment = await rootsOf(o.trust, CliError);
  const { FleetSim } = await import('./fleet-sim.ts');
  const sim = await FleetSim.start({
    devices, processes, offline, slow, powerCuts, skewS, seed,
    brokerUrl: o.broker,
    enrollment: { ...enrollment, ...(o.token === undefined ? {} : { token: o.token }) },
    ...(o.data === undefined ? {} : { dataRoot: o.data }),
    onCut: (c) => io.out(`power cut: ${c.deviceId} during "${c.update}"`),
  });
  const started = Date.now();
  const line = (): string => {
    const s = sim.snapshot();
    const versions = Object.entries(s.running).sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => `${v} ${n}`);
    const t = Math.round((Date.now() - started) / 1000);
    return `${t}s online ${s.online}/${s.total} enrolled ${s.enrolled}${s.failed > 0 ? ` failing ${s.failed}` : ''} running ${versions.length === 0 ? 'nothing' : versions.join(', ')}${s.runningNothing > 0 && versions.length > 0 ? `, nothing ${s.runningNothing}` : ''}`;
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => io.out(line()), 1_000);
    const stop = (): void => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (duration !== undefined) setTimeout(stop, duration * 1000);
  });
  io.out(line());
  await sim.close();
  io.out('stopped');
}

/** The root keys (hex) and threshold of a trust update file: what each simulated device pins to enroll. */
async function rootsOf(file: string, CliError: new (m: string, code?: number) => Error): Promise<{ roots: string[]; threshold: number }> {
  const { readFile } = await import('node:fs/promises');
  const { decodeSign } = await import('../../agent/update/cose.ts');
  const { decodeTrustUpdate } = await import('../../schemas/messages/trust-update.ts');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new CliError(`Cannot read the trust update "${file}": ${(e as Error).message}`);
  }
  try {
    const t = decodeTrustUpdate(decodeSign(bytes, { allowUnsigned: true, what: 'trust update' }).payload);
    return { roots: t.keys.filter((k) => k.role === 'root').map((k) => Buffer.from(k.publicKey).toString('hex')), threshold: t.rootThreshold };
  } catch (e) {
    throw new CliError(`Cannot read the trust update "${file}": ${(e as Error).message}`);
  }
}
