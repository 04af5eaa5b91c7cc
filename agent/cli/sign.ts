// `fleetlet sign`: reads the app descriptor, validates the module with fleetlet's own engine, refuses imports whose
// capabilities the descriptor does not declare, and writes a bundle (signed manifest + module).

import { createHash } from 'node:crypto';
import { APP_DESCRIPTOR_FILE, AppDescriptorError, manifestFromDescriptor, modulePath, readAppDescriptor, type AppDescriptor } from '../../schemas/app-descriptor.ts';
import { CapabilityError, parseCapability, type Capability } from '../../schemas/capabilities.ts';
import { findHostImport, missingCapabilityKinds, requiredCapabilities, type ImportLike } from '../../schemas/host-imports.ts';
import { encodeManifest, type Manifest } from '../../schemas/messages/manifest.ts';
import { SchemaError } from '../../schemas/schema/index.ts';
import { encodeBundle } from '../update/bundle.ts';
import { signSign1 } from '../update/cose.ts';
import { Module } from '../wasm/index.ts';
import { nowSeconds, parseCount, parseDuration } from './_args.ts';
import { readInput, writeOutput } from './_files.ts';
import { CliError } from './errors.ts';
import { readSecretKeyFile } from './key-file.ts';

export interface SignOptions {
  readonly key: string;
  readonly sequence: string;
  readonly expiresIn: string;
  readonly module?: string;
  readonly out?: string;
}

/** The exports each app kind must have (the app model: reactors are ticked, commands run `_start`). */
const REQUIRED_EXPORTS: Readonly<Record<Manifest['kind'], readonly string[]>> = { reactor: ['init', 'tick'], command: ['_start'] };

function readDescriptor(file: string): AppDescriptor {
  try {
    return readAppDescriptor(file);
  } catch (e) {
    if (e instanceof AppDescriptorError) throw new CliError(`Cannot read app descriptor ${e.message}`);
    throw e;
  }
}

/**
 * Validates a module for a descriptor: the engine compiles it, its imports are all host functions of the right type,
 * every capability kind they need is declared, and it exports what its kind requires.
 * @throws CliError naming the first problem
 */
export function checkModule(bytes: Uint8Array, d: AppDescriptor, file: string): Module {
  const compiled = Module.validate(bytes);
  if (!compiled.ok) throw new CliError(`Cannot sign "${file}": fleetlet's engine refuses the module: ${compiled.error.message}`);
  const mod = compiled.module;
  const imports: ImportLike[] = mod.ast.imports.map((i) => ({
    module: i.module,
    name: i.name,
    kind: i.desc.kind,
    ...(i.desc.kind === 'func' ? { type: mod.ast.types[i.desc.typeIndex]! } : {}),
  }));
  let required;
  try {
    required = requiredCapabilities(imports);
  } catch (e) {
    if (e instanceof CapabilityError) throw new CliError(`Cannot sign "${file}": import ${e.subject}: ${e.message.replace(/^Invalid capability "[^"]*": /, '')}`);
    throw e;
  }
  let declared: Capability[];
  try {
    declared = d.capabilities.map((c) => parseCapability(c));
  } catch (e) {
    if (e instanceof CapabilityError) throw new CliError(`Cannot sign "${file}": ${e.message}`);
    throw e;
  }
  const missing = missingCapabilityKinds(required, declared);
  if (missing.length > 0) {
    const uses = imports.filter((i) => i.kind === 'func' && missing.includes(findHostImport(i.module, i.name)?.capability as never)).map((i) => `"${i.name}"`);
    throw new CliError(`Cannot sign "${file}": it imports ${uses.join(', ')}, which need${uses.length === 1 ? 's' : ''} a ${missing.map((k) => `"${k}"`).join(', ')} capability the descriptor does not declare`);
  }
  const exported = new Set(mod.exports().filter((e) => e.kind === 'func').map((e) => e.name));
  const absent = REQUIRED_EXPORTS[d.kind].filter((n) => !exported.has(n));
  if (absent.length > 0) throw new CliError(`Cannot sign "${file}": a ${d.kind} must export ${absent.map((n) => `"${n}"`).join(', ')}`);
  return mod;
}

/**
 * `fleetlet sign`: builds, signs and bundles the manifest of the app a descriptor describes.
 * @throws CliError
 */
export async function sign(descriptorFile: string | undefined, o: SignOptions): Promise<string[]> {
  const file = descriptorFile ?? APP_DESCRIPTOR_FILE;
  const d = readDescriptor(file);
  const key = await readSecretKeyFile(o.key);
  if (key.role !== 'module-signer') throw new CliError(`Cannot sign a manifest with "${key.id}": it is a ${key.role} key; manifests are signed by module-signer keys`);
  const modFile = o.module ?? modulePath(d, file);
  const bytes = await readInput(modFile, 'module');
  checkModule(bytes, d, modFile);
  const now = nowSeconds();
  let manifest: Manifest;
  try {
    manifest = manifestFromDescriptor(d, {
      sequence: parseCount(o.sequence, '--sequence', 0),
      digest: new Uint8Array(createHash('sha256').update(bytes).digest()),
      size: bytes.length,
      issuedAt: now,
      expiresAt: now + parseDuration(o.expiresIn, '--expires-in'),
    });
  } catch (e) {
    if (e instanceof SchemaError) throw new CliError(`Cannot make the manifest of "${file}": ${e.message}`);
    throw e;
  }
  const signed = signSign1(encodeManifest(manifest), { kid: key.id, seed: key.seed });
  const out = o.out ?? `${d.name}-${d.version}.bundle`;
  let bundle: Uint8Array;
  try {
    bundle = encodeBundle({ signedManifest: signed, module: bytes });
  } catch (e) {
    throw new CliError(`Cannot bundle "${modFile}": ${(e as Error).message}`);
  }
  await writeOutput(out, bundle);
  return [
    `signed ${d.name} ${d.version} (sequence ${manifest.sequence}) with "${key.id}"`,
    `module ${bytes.length} bytes, sha256 ${Buffer.from(manifest.digest).toString('hex')}`,
    `expires ${new Date(manifest.expiresAt * 1000).toISOString()}`,
    `bundle written to ${out}`,
  ];
}
