// The session's basic flow over aedes (MQTT 3.1.1), the broker the cloud embeds by default.
import { startAedes } from '../../support/brokers.ts';
import { basicSuite } from './_basic-suite.ts';

basicSuite('aedes (MQTT 3.1.1)', () => startAedes(), 4);
