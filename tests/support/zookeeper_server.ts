// A private ZooKeeper server (Debian's package, run with java) for tests: random port, temp data
// dir, stopped and removed afterwards. The onebox's own ZooKeeper is started by run.sh instead.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomPort } from './ports.ts';

const JARS = ['zookeeper', 'zookeeper-jute', 'slf4j-api', 'slf4j-simple', 'netty-all', 'metrics-core', 'commons-cli', 'commons-io'];

/** True once the server answers `srvr` with its mode: it then accepts sessions (ruok answers earlier). */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('srvr'));
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(data.includes('Mode: standalone')));
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => socket.destroy());
  });
}

/** A running private ZooKeeper. `restart` kills it and starts one on the same port, with its data or without. */
export type PrivateZookeeper = {
  hostsList: string;
  port: number;
  stop: () => Promise<void>;
  restart: (data: 'keep' | 'wipe') => Promise<void>;
};

export async function startPrivateZookeeper(): Promise<PrivateZookeeper> {
  const classpath = JARS.map((j) => `/usr/share/java/${j}.jar`).filter(existsSync).join(':');
  if (!existsSync('/usr/share/java/zookeeper.jar')) throw new Error('ZooKeeper is not installed: run ./run.sh install');
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-ts-zk-'));
  // Not an ephemeral port: while the server restarts, its port is free for a moment.
  const port = randomPort();
  writeFileSync(join(dir, 'zoo.cfg'), `tickTime=2000\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\n`);
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn('java', ['-Xmx256m', '-cp', classpath, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (!(await serving(port))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`private ZooKeeper did not start on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return child;
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  };
  let child = await launch();
  return {
    hostsList: `127.0.0.1:${port}`,
    port,
    stop: async () => {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (data) => {
      await kill(child);
      if (data === 'wipe') rmSync(join(dir, 'data'), { recursive: true, force: true });
      child = await launch();
    },
  };
}
