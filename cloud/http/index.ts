// fleetlet's HTTP API: the server over FleetOps and its route table.

export { startHttpApi, HTTP_STATUS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BUNDLE_BYTES, type HttpApi, type HttpApiOptions, type HttpErrorCode } from './server.ts';
export { ROUTES, type Route, type Method } from './routes.ts';
export { MIN_TOKEN_CHARS, type Operator } from './_auth.ts';
