// The embedded broker's rules (auth.ts) written for an external mosquitto: a password file with each device's
// credentials (PBKDF2-SHA512, mosquitto's own "$7$" format) and an ACL file of patterns generated from the topic table,
// so an enrolled device (username = its device id) reaches only its own subtree and a client without credentials only
// its own enrollment topics.
//
// One difference from aedes remains: mosquitto cannot require client id = username while also letting clients without
// credentials in (`use_username_as_clientid` disconnects every client that has no username, so a new device could not
// enroll). A logged-in device may therefore pick another device's client id and take its session over (a denial of
// service), though the ACL still keeps it out of that device's topics (patterns use %u, the login). Fleets that need
// both can run enrollment on a second listener with `per_listener_settings true`. mosquitto also checks read access per
// message, not at SUBSCRIBE: a subscription to another device's state is granted and receives nothing.

import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { TOPIC_ROOT, TOPICS, type TopicName } from '../../schemas/topics.ts';

/** mosquitto_passwd's defaults (mosquitto 2.0): 101 iterations, a 12-byte salt, a 64-byte SHA-512 digest. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/**
 * One line of a mosquitto password file, as `mosquitto_passwd -b` writes it.
 * @throws RangeError when the username holds a ":" or a line break (the file format cannot carry them)
 */
export function mosquittoPasswordLine(username: string, password: string, options: { salt?: Uint8Array; iterations?: number } = {}): string {
  if (/[:\r\n]/.test(username) || username.length === 0) throw new RangeError(`Cannot write a mosquitto password line for ${JSON.stringify(username)}: ":" and line breaks are not allowed`);
  const salt = Buffer.from(options.salt ?? randomBytes(12));
  const iterations = options.iterations ?? MOSQUITTO_PBKDF2_ITERATIONS;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The password file for the cloud's login and every enrolled device. */
export function mosquittoPasswordFile(logins: readonly { readonly username: string; readonly password: string }[]): string {
  return `${logins.map((l) => mosquittoPasswordLine(l.username, l.password)).join('\n')}\n`;
}

const suffixes = (direction: 'device-to-cloud' | 'cloud-to-device'): string[] =>
  (Object.keys(TOPICS) as TopicName[]).filter((n) => TOPICS[n].direction === direction).map((n) => (n === 'app' ? 'app/#' : TOPICS[n].suffix));

/**
 * The ACL file: the cloud's user reads and writes the whole namespace; every authenticated device (`%u`, its login)
 * writes the device-to-cloud topics and reads the cloud-to-device ones of its own subtree; any client may ask to enroll
 * under its own client id (`%c`) and hear the answer (sealed to the asking key, so overhearing it gains nothing).
 */
export function mosquittoAclFile(cloudUsername: string): string {
  const root = `${TOPIC_ROOT}/dev`;
  const lines = [
    '# fleetlet broker ACL, generated from schemas/topics.ts by cloud/broker/mosquitto.ts: do not edit by hand.',
    `user ${cloudUsername}`,
    `topic readwrite ${TOPIC_ROOT}/#`,
    '',
    '# Every client: enrolled devices log in with their device id as username (= client id); others only enroll.',
    ...suffixes('device-to-cloud').filter((s) => !s.startsWith('enroll/')).map((s) => `pattern write ${root}/%u/${s}`),
    ...suffixes('cloud-to-device').filter((s) => !s.startsWith('enroll/')).map((s) => `pattern read ${root}/%u/${s}`),
    `pattern write ${root}/%c/${TOPICS.enrollRequest.suffix}`,
    `pattern read ${root}/%c/${TOPICS.enrollResponse.suffix}`,
    '',
  ];
  return lines.join('\n');
}

/** The mosquitto.conf lines that go with the two files (paths as mosquitto will see them). */
export function mosquittoAuthConfig(passwordFile: string, aclFile: string): string[] {
  return [
    `password_file ${passwordFile}`,
    `acl_file ${aclFile}`,
    // devices that are not enrolled yet connect without credentials and get only the %c enrollment patterns
    'allow_anonymous true',
  ];
}
