// The cloud's desired-state publisher: the public surface (re-exports only).
export { DesiredStatePublisher, PublisherError } from './publisher.ts';
export type { DesiredStatePublisherOptions, PublishedState, PublishStateOptions } from './publisher.ts';
