// Child-process fixture for pool.test.ts: answers, loops forever, dies or throws, as the job says.

import { serveJobs } from './pool.ts';

serveJobs<string, string>((job) => {
  if (job === 'hang') for (;;) { /* a real infinite loop */ }
  if (job === 'die') process.exit(3);
  if (job === 'throw') throw new Error('Planted failure');
  return `done ${job}`;
});
