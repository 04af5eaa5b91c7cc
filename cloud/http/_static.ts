// The dashboard's static files: `/` is the folder's index.html, `/assets/<file>` a file of the folder, and
// `/assets/uplot/*` the two uPlot files from node_modules; nothing outside them can be named (no "..", no hidden
// files, no symlink out of the folder, only known file types).

import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const UPLOT_FILES = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

function uplotDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('uplot'));
  } catch {
    return undefined;
  }
}

/** Serves files of one folder; `find` answers undefined for anything it will not serve. */
export class StaticFiles {
  private readonly uplot = uplotDir();

  constructor(private readonly root: string | undefined) {}

  /** `path`: the URL path, already normalised by the URL parser (dot segments removed). */
  async find(path: string): Promise<StaticFile | undefined> {
    if (path === '/' || path === '/index.html') return this.root === undefined ? undefined : this.file(this.root, ['index.html']);
    if (!path.startsWith('/assets/')) return undefined;
    let parts: string[];
    try {
      parts = path.slice('/assets/'.length).split('/').map((p) => decodeURIComponent(p));
    } catch {
      return undefined;
    }
    if (parts.length === 2 && parts[0] === 'uplot') return UPLOT_FILES.has(parts[1]!) && this.uplot !== undefined ? this.file(this.uplot, [parts[1]!]) : undefined;
    return this.root === undefined ? undefined : this.file(this.root, parts);
  }

  private async file(root: string, parts: readonly string[]): Promise<StaticFile | undefined> {
    if (parts.length === 0 || parts.some((p) => p === '' || p.startsWith('.') || /[\\/\u0000]/.test(p))) return undefined;
    const type = TYPES[extname(parts[parts.length - 1]!).toLowerCase()];
    if (type === undefined) return undefined;
    try {
      const realRoot = await realpath(root);
      const real = await realpath(join(realRoot, ...parts));
      if (!real.startsWith(realRoot + sep)) return undefined;
      if (!(await stat(real)).isFile()) return undefined;
      return { body: await readFile(real), type };
    } catch {
      return undefined;
    }
  }
}
