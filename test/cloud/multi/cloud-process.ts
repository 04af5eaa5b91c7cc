// One fleetlet cloud process for the two-process test: FleetCloud on a shared PostgreSQL and a shared MQTT 5 broker
// (shared subscriptions on), with its HTTP API; started as a child by two-processes.test.ts until `fleetlet cloud
// --config FILE` can be. Reads its settings from the JSON file named by argv[2]; writes one JSON line per event to
// stdout: {"event":"ready","http":URL}, every log record of the cloud ({"event":"log","msg":...}), and what its ingest
// took in every 250 ms ({"event":"stats","statuses":N,...}).

import { readFileSync } from 'node:fs';
import { FleetCloud } from '../../../cloud/service/cloud.ts';
import { startHttpApi } from '../../../cloud/http/index.ts';

/** What the test hands the child. */
export interface CloudProcessSettings {
  readonly processId: string;
  readonly dataDir: string;
  readonly blobsDir: string;
  readonly brokerUrl: string;
  readonly pgUrl: string;
  readonly schema: string;
  readonly trustHex: string;
  readonly stateSigner: { readonly kid: string; readonly seedHex: string };
  readonly operatorToken: string;
  readonly leaseTtlMs: number;
  readonly renewEveryMs: number;
}

const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const s = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as CloudProcessSettings;
const cloud = await FleetCloud.start({
  processId: s.processId,
  dataDir: s.dataDir,
  blobsDir: s.blobsDir,
  trust: new Uint8Array(Buffer.from(s.trustHex, 'hex')),
  stateSigner: { kid: s.stateSigner.kid, seed: new Uint8Array(Buffer.from(s.stateSigner.seedHex, 'hex')) },
  store: { kind: 'postgres', url: s.pgUrl, schema: s.schema },
  broker: { url: s.brokerUrl, protocolVersion: 5, shared: true },
  enrollment: { autoAccept: true, retryAfterMs: 500 },
  rolloutTickMs: 200,
  rolloutLease: { ttlMs: s.leaseTtlMs, renewEveryMs: s.renewEveryMs },
  log: (level, msg, fields) => say({ event: 'log', level, msg, ...fields }),
});
const http = await startHttpApi(cloud.ops, { port: 0, operators: [{ name: 'ops', token: s.operatorToken }], log: (msg, fields) => say({ event: 'log', level: 'error', msg, ...fields }) });
say({ event: 'ready', http: http.url, leading: cloud.leader.leading });
const stats = setInterval(() => say({ event: 'stats', ...cloud.ingest.stats }), 250);

process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(stats);
    await http.close();
    await cloud.close();
    process.exit(0);
  })();
});
