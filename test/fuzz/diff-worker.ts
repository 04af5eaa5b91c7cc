// Child-process entry of the differential fuzzer: answers seed jobs with `runSeed`.

import { prepareSubject, runSeed, type SeedJob, type SeedResult } from './diff-run.ts';
import { serveJobs } from './pool.ts';

await prepareSubject((process.env['FUZZ_SUBJECT'] as 'v8' | undefined) ?? 'fleetlet');
serveJobs<SeedJob, SeedResult>(runSeed);
