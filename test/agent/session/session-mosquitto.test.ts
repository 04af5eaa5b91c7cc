// The session's basic flow over Debian's mosquitto with MQTT 3.1.1 and MQTT 5: no broker-specific behaviour is relied on.
import { startMosquitto } from '../../support/brokers.ts';
import { basicSuite } from './_basic-suite.ts';

basicSuite('mosquitto (MQTT 3.1.1)', () => startMosquitto(), 4);
basicSuite('mosquitto (MQTT 5)', () => startMosquitto(), 5);
