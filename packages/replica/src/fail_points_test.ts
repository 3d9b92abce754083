// Goal: the test-only fail points cannot be switched on in a normal server, and toggle on SIGUSR2
// when the environment asks for it. Method: the installer with a plain and a test environment; the
// signal sent to this very process.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAIL_POINT_SIGNALS_ENV, maybeInstallFailPointSignal, noFailPoints } from './fail_points.ts';

test('without the environment variable nothing is installed and every point stays off', () => {
  const points = noFailPoints();
  const lines: string[] = [];
  assert.is(maybeInstallFailPointSignal(points, {}, (l) => lines.push(l)), false);
  assert.is(maybeInstallFailPointSignal(points, { [FAIL_POINT_SIGNALS_ENV]: 'yes' }, (l) => lines.push(l)), false);
  assert.equal(points, { dropOutgoingPrepares: false });
  assert.equal(lines, []);
});

test('with PEGASUS_TS_FAIL_POINT_SIGNALS=1, each SIGUSR2 toggles replica_drop_outgoing_prepares', async () => {
  const points = noFailPoints();
  const lines: string[] = [];
  assert.is(maybeInstallFailPointSignal(points, { [FAIL_POINT_SIGNALS_ENV]: '1' }, (l) => lines.push(l)), true);
  const toggled = async (expected: boolean) => {
    process.kill(process.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && points.dropOutgoingPrepares !== expected; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(points.dropOutgoingPrepares, expected);
  };
  await toggled(true);
  await toggled(false);
  assert.match(lines.join('\n'), 'replica_drop_outgoing_prepares is now ON');
  assert.match(lines.join('\n'), 'replica_drop_outgoing_prepares is now off');
  process.removeAllListeners('SIGUSR2');
});

test.run();
