// Writes docs/host-api.md from the host import table and agent/host (`npx tsx agent/host/gen-docs.ts`).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_API_DOC, renderHostApiDoc } from './host-api-doc.ts';

const file = join(import.meta.dirname, '../..', HOST_API_DOC);
writeFileSync(file, renderHostApiDoc());
console.log(`Wrote ${file}`);
