// systemd integration for the agent: readiness and watchdog pings through `systemd-notify` (Node has no unix datagram
// sockets, so the agent cannot write to $NOTIFY_SOCKET itself; the unit sets NotifyAccess=all for that reason). Does
// nothing when the agent is not started by systemd (no NOTIFY_SOCKET).

import { execFile } from 'node:child_process';

export interface SystemdNotifier {
  /** Tells systemd the agent is up (Type=notify). */
  ready(): void;
  /** Tells systemd the agent is stopping. */
  stopping(): void;
  close(): void;
}

const notify = (args: readonly string[]): void => {
  execFile('systemd-notify', [`--pid=${process.pid}`, ...args], () => undefined).unref?.();
};

/** From the environment systemd sets: pings the watchdog at half its period from the event loop, while it turns. */
export function systemdNotifier(env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  if (env.NOTIFY_SOCKET === undefined || env.NOTIFY_SOCKET === '') return { ready() {}, stopping() {}, close() {} };
  const usec = Number(env.WATCHDOG_USEC ?? '');
  let timer: ReturnType<typeof setInterval> | undefined;
  if (Number.isFinite(usec) && usec > 0) {
    timer = setInterval(() => notify(['WATCHDOG=1']), Math.max(1000, Math.floor(usec / 2000)));
    timer.unref?.();
  }
  return {
    ready: () => notify(['--ready']),
    stopping: () => notify(['STOPPING=1']),
    close: () => {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
