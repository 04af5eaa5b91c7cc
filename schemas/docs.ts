// The tables of schemas/DESIGN.md (topics, messages, capabilities, host imports), generated from
// the data they document, and the splice that puts them between their markers.

import { CAPABILITY_KINDS, capabilitySyntax, type CapabilityKind } from './capabilities.ts';
import { HOST_IMPORTS, signature } from './host-imports.ts';
import { MESSAGES, type AnyMessage, type MessageName } from './messages/index.ts';
import { TOPIC_ROOT, TOPICS, type TopicName } from './topics.ts';

const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
const code = (t: string): string => `\`${t}\``;

/** Every per-device topic with direction, retain flag, QoS and payload. */
export function topicTable(): string {
  return table(
    ['topic', `below ${code(`${TOPIC_ROOT}/dev/{deviceId}/`)}`, 'direction', 'retained', 'QoS', 'payload', 'what'],
    (Object.keys(TOPICS) as TopicName[]).map((n) => {
      const t = TOPICS[n];
      return [n, code(t.suffix), t.direction, t.retained ? 'yes' : 'no', String(t.qos), t.payload, t.summary];
    }),
  );
}

/** Every message with its version, signing and CBOR bounds. */
export function messageTable(): string {
  return table(
    ['message', 'v', 'signed (canonical)', 'floats', 'max bytes', 'max depth', 'max string bytes', 'max items'],
    (Object.keys(MESSAGES) as MessageName[]).map((n) => {
      const m: AnyMessage = MESSAGES[n];
      const c = m.cbor;
      return [n, String(m.version), m.signed ? 'yes' : 'no', c.floats === true ? 'yes' : 'no', String(c.maxBytes), String(c.maxDepth ?? 16), String(c.maxStringBytes ?? 65536), String(c.maxItems ?? 1024)];
    }),
  );
}

/** The capability grammar: one row per kind, one line per argument type. */
export function capabilityTable(): string {
  const kinds = Object.values(CAPABILITY_KINDS) as CapabilityKind[];
  return table(
    ['kind', 'syntax', 'arguments', 'grants'],
    kinds.map((k) => [
      code(k.kind),
      code(capabilitySyntax(k)),
      k.args.length === 0 ? '-' : k.args.map((a) => `${code(`<${a.name}>`)}: ${a.type.describe}${a.type.wildcard ? ' (a grant may write `*`)' : ''}`).join('; '),
      k.summary,
    ]),
  );
}

/** The host import table: module, function, type, suspension, capability. */
export function hostImportTable(): string {
  return table(
    ['module', 'function', 'type', 'suspends', 'needs', 'what'],
    HOST_IMPORTS.map((h) => [code(h.module), code(h.name), code(signature(h)), h.suspends ? 'yes' : 'no', h.capability === null ? '-' : code(h.capability), h.summary.replace(/\|/g, '\\|')]),
  );
}

/** The generated sections of DESIGN.md, by marker name. */
export const GENERATED_SECTIONS: Readonly<Record<string, () => string>> = {
  topics: topicTable,
  messages: messageTable,
  capabilities: capabilityTable,
  'host-imports': hostImportTable,
};

/**
 * Replaces each `<!-- NAME:begin -->` ... `<!-- NAME:end -->` section of `doc` with its table.
 * @throws Error when a marker pair is missing
 */
export function spliceGenerated(doc: string): string {
  let out = doc;
  for (const [name, make] of Object.entries(GENERATED_SECTIONS)) {
    const begin = `<!-- ${name}:begin -->`;
    const end = `<!-- ${name}:end -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`Cannot update DESIGN.md: markers "${begin}" and "${end}" are missing`);
    out = `${out.slice(0, i + begin.length)}\n${make()}\n${out.slice(j)}`;
  }
  return out;
}
