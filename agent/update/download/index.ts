// fleetlet's chunked, resumable module download: the public surface (re-exports only).
export { ChunkClient, ChunkRequestFailed } from './chunk-client.ts';
export type { ChunkClientCounters, ChunkClientOptions, ChunkRequestFailureCode, ChunkRequestOptions } from './chunk-client.ts';
export { Downloader, DOWNLOADS_DIR } from './downloader.ts';
export type { DownloadOptions, DownloadRequest, DownloaderCounters, DownloaderOptions } from './downloader.ts';
export { DownloadFailed, DOWNLOAD_FAILURE_CODES, isDownloadFailed } from './errors.ts';
export type { DownloadFailureCode } from './errors.ts';
export { openNodePartialFile } from './_partial.ts';
export type { OpenPartialFile, PartialFileHandle } from './_partial.ts';
