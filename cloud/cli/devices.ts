// `fleetlet devices`: the fleet list, one device's detail, pending enrollment requests, and the operator's
// decisions (accept, refuse, retire, tags), over the cloud's HTTP API.

import type { Command } from 'commander';
import type { CliIo } from '../../agent/cli/main.ts';
import type { DeviceDetail, DeviceView, EnrollmentView } from '../service/ops.ts';
import { clientOf, enc, withConnection } from './_common.ts';
import { table, time } from './format.ts';

const modulesOf = (d: DeviceView): string => (d.modules.length === 0 ? '-' : d.modules.map((m) => `${m.name}@${m.version}${m.health === 'good' || m.health === '' ? '' : `(${m.health})`}`).join(' '));

export function devicesTable(devices: readonly DeviceView[]): string[] {
  return table(
    ['DEVICE', 'CLASS', 'STATUS', 'ENROLLMENT', 'MODULES', 'TAGS', 'LAST SEEN'],
    devices.map((d) => [d.deviceId, d.deviceClass, d.retired ? 'retired' : d.online ? 'online' : 'offline', d.enrollment, modulesOf(d), d.tags.length === 0 ? '-' : d.tags.join(','), time(d.lastSeenMs)]),
  );
}

export function deviceDetail(d: DeviceDetail): string[] {
  const out = [
    `device     ${d.deviceId}`,
    `class      ${d.deviceClass}`,
    `status     ${d.retired ? `retired ${time(d.retiredAtMs)}` : d.online ? 'online' : 'offline'}`,
    `enrollment ${d.enrollment}`,
    `agent      ${d.agentVersion ?? '-'}`,
    `tags       ${d.tags.length === 0 ? '-' : d.tags.join(', ')}`,
    `last seen  ${time(d.lastSeenMs)}`,
    `enrolled   ${time(d.createdAtMs)}`,
  ];
  if (d.publicKey !== undefined) out.push(`key        ${d.publicKey}`);
  if (d.desired !== undefined) out.push(`desired    sequence ${d.desired.sequence}: ${d.desired.modules.map((m) => `${m.name}@${m.version ?? m.manifestDigest.slice(0, 12)}`).join(', ') || 'no modules'}`);
  if (d.moduleDetails.length > 0) {
    out.push('');
    out.push(...table(['MODULE', 'VERSION', 'STATE', 'HEALTH', 'FUEL/TICK', 'MEM PAGES', 'TRAPS', 'UPDATED'], d.moduleDetails.map((m) => [m.name, m.version, m.state, m.health, m.fuelPerTick === undefined ? '-' : String(m.fuelPerTick), m.memoryHighWater === undefined ? '-' : String(m.memoryHighWater), String(m.traps), time(m.updatedAtMs)])));
  }
  return out;
}

export function enrollmentsTable(es: readonly EnrollmentView[]): string[] {
  return table(['DEVICE', 'CLASS', 'STATE', 'REQUESTED', 'KEY'], es.map((e) => [e.deviceId, e.deviceClass, e.state, time(e.requestedAtMs), `${e.publicKey.slice(0, 16)}…`]));
}

/** Registers `fleetlet devices` and its subcommands. */
export function registerDevices(program: Command, io: CliIo): void {
  const print = (lines: readonly string[]): void => lines.forEach((l) => io.out(l));
  const json = (v: unknown): void => io.out(JSON.stringify(v, null, 2));
  const devices = withConnection(program.command('devices').description('List the fleet\'s devices, show one, and decide on enrollment requests'));

  devices.command('list', { isDefault: true })
    .description('List the devices (every page), not the retired ones unless --all')
    .option('--tag <tag>', 'only devices with this tag (e.g. site=north)')
    .option('--all', 'include retired devices')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, o: { tag?: string; all?: boolean; json?: boolean }) {
      const items = await clientOf(this, io).all<DeviceView>('/api/devices', { tag: o.tag, includeRetired: o.all === true ? true : undefined });
      if (o.json === true) return json({ items });
      print(items.length === 0 ? ['no devices'] : devicesTable(items));
    });

  devices.command('show')
    .description('One device: status, modules with their metrics, the desired state in force')
    .argument('<id>', 'device id')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const d = await clientOf(this, io).get<DeviceDetail>(`/api/devices/${enc(id)}`);
      if (o.json === true) return json(d);
      print(deviceDetail(d));
    });

  devices.command('pending')
    .description('Enrollment requests waiting for a decision')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, o: { json?: boolean }) {
      const items = await clientOf(this, io).all<EnrollmentView>('/api/enrollments', { state: 'pending' });
      if (o.json === true) return json({ items });
      print(items.length === 0 ? ['no pending enrollment requests'] : enrollmentsTable(items));
    });

  devices.command('accept')
    .description('Accept a pending enrollment request: the device gets its broker credentials')
    .argument('<id>', 'device id')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const e = await clientOf(this, io).post<EnrollmentView>(`/api/enrollments/${enc(id)}/accept`);
      if (o.json === true) return json(e);
      io.out(`accepted ${e.deviceId} (${e.deviceClass})`);
    });

  devices.command('refuse')
    .description('Refuse a pending enrollment request')
    .argument('<id>', 'device id')
    .option('--note <text>', 'why (kept with the request)')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, o: { note?: string; json?: boolean }) {
      const e = await clientOf(this, io).post<EnrollmentView>(`/api/enrollments/${enc(id)}/refuse`, o.note === undefined ? undefined : { note: o.note });
      if (o.json === true) return json(e);
      io.out(`refused ${e.deviceId}${e.note === undefined ? '' : `: ${e.note}`}`);
    });

  devices.command('retire')
    .description('Retire a device: its login stops working, it is disconnected and its desired state cleared')
    .argument('<id>', 'device id')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const d = await clientOf(this, io).post<DeviceDetail>(`/api/devices/${enc(id)}/retire`);
      if (o.json === true) return json(d);
      io.out(`retired ${d.deviceId}`);
    });

  devices.command('tag')
    .description('Replace a device\'s tags (none given: remove them all)')
    .argument('<id>', 'device id')
    .argument('[tags...]', 'tags, e.g. site=north floor=2')
    .option('--json', 'print the API\'s JSON')
    .action(async function (this: Command, id: string, tags: string[], o: { json?: boolean }) {
      const d = await clientOf(this, io).put<DeviceDetail>(`/api/devices/${enc(id)}/tags`, { tags });
      if (o.json === true) return json(d);
      io.out(`${d.deviceId} tags: ${d.tags.length === 0 ? '-' : d.tags.join(', ')}`);
    });
}
