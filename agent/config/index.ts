// The agent's config file: the public surface (re-exports only).
export { loadConfig, parseConfig, ConfigError, DEFAULT_DATA_DIR } from './config.ts';
export type { AgentConfig, BrokerTlsConfig, ConfigErrorCode, ConfigIssue, LogLevel } from './config.ts';
