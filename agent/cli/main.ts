// The `fleetlet` command line: commander wiring of keygen, trust, sign, verify, inspect and run, and the one place where
// failures become one line on stderr and an exit status.

import { Command, CommanderError } from 'commander';
import { pathToFileURL } from 'node:url';
import { keyRole } from '../../schemas/messages/trust-update.ts';
import { CliError, EXIT } from './errors.ts';
import { registerAgent } from './agent.ts';
import { registerRun } from './run.ts';
import { registerSim } from '../../device-sim/fleet/cli.ts';
import { registerCloud } from '../../cloud/cli/cloud.ts';
import { registerDevices, registerLogs, registerRelease, registerRollout } from '../../cloud/cli/index.ts';

// Commands load their modules when they run: `--help` and `keygen` then start without the engine and the trust store.
const ROLES = keyRole.values;

/** Where the CLI writes (tests pass their own). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const processIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function program(io: CliIo): Command {
  const print = (lines: string[]): void => lines.forEach((l) => io.out(l));
  const p = new Command('fleetlet')
    .description('Sign, inspect and verify fleetlet apps, keys and trust updates')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(`fleetlet: ${s.replace(/^error: /, '')}`),
    });

  p.command('keygen')
    .description('Make an Ed25519 key for a role; writes ID.key (secret) and ID.pub with mode 0600 and prints the public key')
    .requiredOption('--role <role>', `key role: ${ROLES.join(', ')}`)
    .requiredOption('--out <dir>', 'folder for the key files (created with mode 0700)')
    .option('--id <id>', 'key id (default: ROLE-<first 8 hex digits of the key hash>)')
    .option('--force', 'replace existing key files')
    .action(async (o: { role: string; out: string; id?: string; force?: boolean }) => print(await (await import('./keygen.ts')).keygen(o)));

  const trust = p.command('trust').description('Make, sign and install trust updates (root keys, signers, rotation, revocation)');
  trust.command('init')
    .description('Make the first trust update of a fleet from public key files (roles come from the files)')
    .requiredOption('--key <file>', 'a public key file (.pub); repeat for each key', collect, [])
    .requiredOption('--threshold <n>', 'root signatures needed for this and the next trust update')
    .requiredOption('--out <file>', 'trust update file to write')
    .option('--sign <file>', 'sign with this root secret key file; repeatable', collect, [])
    .option('--sequence <n>', 'sequence number', '1')
    .option('--expires-in <duration>', 'lifetime of the trust update', '365d')
    .option('--key-valid-for <duration>', 'lifetime of the keys it lists', '730d')
    .option('--key-not-before <instant>', 'start of the keys\' validity (default: always)')
    .action(async (o) => print(await (await import('./trust.ts')).trustInit(o)));
  trust.command('sign')
    .description('Add root-key signatures to a trust update (each holder signs in turn)')
    .argument('<file>', 'trust update file')
    .requiredOption('--key <file>', 'a root secret key file (.key); repeatable', collect, [])
    .option('--out <file>', 'write here instead of replacing <file>')
    .action(async (file: string, o: { key: string[]; out?: string }) => print(await (await import('./trust.ts')).trustSign(file, o)));
  trust.command('rotate')
    .description('Make the next trust update: add, remove or revoke keys, change the threshold')
    .requiredOption('--from <file>', 'the trust update in force')
    .requiredOption('--out <file>', 'trust update file to write')
    .option('--add-key <file>', 'add a public key file; repeatable', collect, [])
    .option('--remove-key <id>', 'stop trusting a key id; repeatable', collect, [])
    .option('--revoke <id>', 'revoke a key id forever; repeatable', collect, [])
    .option('--threshold <n>', 'new root threshold')
    .option('--sign <file>', 'sign with this root secret key file; repeatable', collect, [])
    .option('--expires-in <duration>', 'lifetime of the trust update', '365d')
    .option('--key-valid-for <duration>', 'lifetime of added keys', '730d')
    .option('--key-not-before <instant>', 'start of added keys\' validity (default: always)')
    .action(async (o) => print(await (await import('./trust.ts')).trustRotate(o)));
  trust.command('provision')
    .description('Install the first trust of a device data directory')
    .argument('<file>', 'trust update file')
    .requiredOption('--data-dir <dir>', 'the device data directory')
    .action(async (file: string, o: { dataDir: string }) => print(await (await import('./trust.ts')).trustProvision(file, o)));
  trust.command('apply')
    .description('Apply a trust update to a provisioned device data directory')
    .argument('<file>', 'trust update file')
    .requiredOption('--data-dir <dir>', 'the device data directory')
    .action(async (file: string, o: { dataDir: string }) => print(await (await import('./trust.ts')).trustApply(file, o)));

  p.command('sign')
    .description('Validate an app\'s module with fleetlet\'s engine, check its capabilities and write a signed bundle')
    .argument('[descriptor]', 'app descriptor', 'fleetlet.app.json')
    .requiredOption('--key <file>', 'module-signer secret key file')
    .requiredOption('--sequence <n>', 'sequence of this version (must grow with each version of the app)')
    .option('--module <file>', 'module file (default: the descriptor\'s "module")')
    .option('--expires-in <duration>', 'lifetime of the manifest', '90d')
    .option('--out <file>', 'bundle file (default: NAME-VERSION.bundle)')
    .action(async (descriptor: string, o) => print(await (await import('./sign.ts')).sign(descriptor, o)));

  p.command('verify')
    .description('Check a bundle as a device would: signature, key role and validity, target, expiry, anti-rollback, size and digest')
    .argument('<bundle>', 'bundle file')
    .option('--trust <file>', 'trust update file (as a freshly provisioned device)')
    .option('--data-dir <dir>', 'device data directory (its trust and floors)')
    .option('--device-class <class>', 'device class to check the targets against')
    .option('--device-id <id>', 'device id', 'cli')
    .option('--now <instant>', 'check at this time (seconds or ISO date) instead of the clock')
    .action(async (file: string, o) => print(await (await import('./verify.ts')).verify(file, o)));

  p.command('inspect')
    .description('Show a bundle, signed manifest, desired state or trust update in readable form (signatures not checked)')
    .argument('<file>', 'file to show')
    .action(async (file: string) => print(await (await import('./inspect.ts')).inspect(file)));

  registerRun(p, io);
  registerAgent(p, io);
  registerSim(p, io);
  registerCloud(p, io);
  registerDevices(p, io);
  registerRelease(p, io);
  registerRollout(p, io);
  registerLogs(p, io);
  return p;
}

/** Runs the CLI with `argv` (without "node" and the script); resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const p = program(io);
  if (argv.length === 0) {
    p.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await p.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      io.err(`fleetlet: ${e.message}`);
      return e.exitCode;
    }
    io.err(`fleetlet: internal error: ${(e as Error)?.message ?? String(e)} (set FLEETLET_DEBUG=1 for details)`);
    if (process.env['FLEETLET_DEBUG'] === '1') io.err(String((e as Error)?.stack));
    return EXIT.internal;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
