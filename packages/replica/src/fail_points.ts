// Fault injection for end-to-end tests, in the spirit of Pegasus's fail points
// (src/utils/fail_point.h, FAIL_POINT_INJECT_F): named places in the code that do nothing unless a
// test switches them on. They exist for faults no operator command can cause, such as a primary
// that logs writes its secondaries never receive (a network partition between replica servers:
// the stale replica that a recovery plan must mark `at-risk`).
//
// Off, and impossible to switch on, unless the server process starts with
// PEGASUS_TS_FAIL_POINT_SIGNALS=1 in its environment; then each SIGUSR2 toggles every point listed
// in that server's log line. Nothing else in the server reads these flags.

/** The points; each is read where it acts (grep for its name). */
export type FailPoints = {
  /**
   * `replica_drop_outgoing_prepares`: a primary's prepares to its secondaries and learners vanish
   * on the way, as packets do in a partition: the call waits out its RPC deadline and fails with
   * ERR_TIMEOUT (replica_2pc.ts _sendPrepare). The primary still logs every write locally.
   */
  dropOutgoingPrepares: boolean;
};

export const FAIL_POINT_SIGNALS_ENV = 'PEGASUS_TS_FAIL_POINT_SIGNALS';

export function noFailPoints(): FailPoints {
  return { dropOutgoingPrepares: false };
}

/**
 * With PEGASUS_TS_FAIL_POINT_SIGNALS=1 in `env`, toggle `points` on every SIGUSR2 and log the new
 * state; otherwise do nothing. Returns whether the signal handler was installed.
 */
export function maybeInstallFailPointSignal(points: FailPoints, env: Record<string, string | undefined>, log: (line: string) => void): boolean {
  if (env[FAIL_POINT_SIGNALS_ENV] !== '1') return false;
  process.on('SIGUSR2', () => {
    points.dropOutgoingPrepares = !points.dropOutgoingPrepares;
    log(`fail point replica_drop_outgoing_prepares is now ${points.dropOutgoingPrepares ? 'ON: prepares to other replica servers are dropped' : 'off'}`);
  });
  log(`fail points can be toggled with SIGUSR2 (${FAIL_POINT_SIGNALS_ENV}=1): replica_drop_outgoing_prepares`);
  return true;
}
