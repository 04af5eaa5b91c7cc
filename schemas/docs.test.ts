// Checks that the tables in schemas/DESIGN.md are the ones the data generates.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_SECTIONS, spliceGenerated } from './docs.ts';

describe('DESIGN.md', () => {
  const doc = readFileSync(new URL('./DESIGN.md', import.meta.url), 'utf8');

  it.each(Object.keys(GENERATED_SECTIONS))('has the %s table generated from the data (else run npx tsx schemas/write-docs.ts)', (name) => {
    const begin = `<!-- ${name}:begin -->\n`;
    const section = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf(`\n<!-- ${name}:end -->`));
    expect(section).toBe(GENERATED_SECTIONS[name]());
  });

  it('is unchanged by regenerating it', () => {
    expect(spliceGenerated(doc)).toBe(doc);
  });
});
