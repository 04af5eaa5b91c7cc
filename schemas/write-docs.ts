// `npx tsx schemas/write-docs.ts`: regenerates the tables in schemas/DESIGN.md from the data.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spliceGenerated } from './docs.ts';

const file = fileURLToPath(new URL('./DESIGN.md', import.meta.url));
writeFileSync(file, spliceGenerated(readFileSync(file, 'utf8')));
process.stdout.write(`Updated ${file}\n`);
