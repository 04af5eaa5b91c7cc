// Child-process fixture for pool.test.ts: answers, loops forever, dies or throws, as the job says
// (or dies while starting, when FIXTURE_FAIL_AT_START is 1).

import { serveJobs } from './pool.ts';

if (process.env['FIXTURE_FAIL_AT_START'] === '1') process.exit(5);

serveJobs<string, string>((job) => {
  if (job === 'hang') for (;;) { /* a real infinite loop */ }
  if (job === 'die') process.exit(3);
  if (job === 'throw') throw new Error('Planted failure');
  return `done ${job}`;
});
