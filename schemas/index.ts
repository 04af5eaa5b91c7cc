// fleetlet's schemas: every message that crosses a process boundary, the CBOR rules they are
// encoded by, topics, capabilities and the app descriptor (re-exports only).
export * from './cbor/index.ts';
export * from './schema/index.ts';
export * from './messages/index.ts';
export * from './names.ts';
export * from './capabilities.ts';
export * from './host-imports.ts';
export * from './topics.ts';
export * from './app-descriptor.ts';
