// Pseudo-terminal pairs made by socat: two linked PTY paths, one for the app's serial backend
// and one for a simulated device, so the app side runs the real Linux serial code.

import { spawn, type ChildProcess } from 'node:child_process';

export interface PtyPair {
  /** The two ends: bytes written to one are read from the other. */
  readonly a: string;
  readonly b: string;
  /** Stops socat; both paths disappear. */
  close(): Promise<void>;
}

/**
 * Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and resolves once both PTYs exist and
 * socat is relaying.
 * @throws Error when socat is missing (install the Debian package "socat") or does not start
 *   within `timeoutMs`
 */
export function openPtyPair(timeoutMs = 10_000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    let log = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Cannot make a pseudo-terminal pair with socat: ${why}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms (${log.trim().slice(-200)})`), timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ENOENT' ? 'socat is not installed (Debian package "socat")' : e.message));
    child.on('close', (code) => fail(`socat exited with code ${String(code)} (${log.trim().slice(-200)})`));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      log = (log + d).slice(-4096);
      const paths = [...log.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
      if (!settled && paths.length >= 2 && /starting data transfer loop/.test(log)) {
        settled = true;
        clearTimeout(timer);
        resolve({
          a: paths[0]!,
          b: paths[1]!,
          close: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
  });
}
