// docs/host-api.md must be what agent/host/gen-docs.ts renders now: a change to the import
// table, a status, a capability or an implementation fact that is not in the doc fails here.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_IMPORTS } from '../../schemas/host-imports.ts';
import { HOST_API_DOC, renderHostApiDoc } from './host-api-doc.ts';

describe('docs/host-api.md', () => {
  const doc = renderHostApiDoc();

  it('is up to date (regenerate with `npx tsx agent/host/gen-docs.ts`)', () => {
    const onDisk = readFileSync(join(import.meta.dirname, '../..', HOST_API_DOC), 'utf8');
    expect(onDisk).toBe(doc);
  });

  it('has a section for every function of the import table, with its capability', () => {
    for (const row of HOST_IMPORTS) {
      const start = doc.indexOf(`### \`${row.name}\``);
      expect(start, row.name).toBeGreaterThan(0);
      const body = doc.slice(start, doc.indexOf('\n### ', start + 1));
      expect(body).toContain(row.capability === null ? '- Capability: none' : `- Capability: \`${row.capability}`);
    }
  });
});
