// The embedded broker's auth hooks: the public surface (re-exports only).
export { brokerAuth, secretsEqual } from './auth.ts';
export type { AuthDenial, BrokerAuth, BrokerAuthOptions, DeviceAuthority } from './auth.ts';
