import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPodmanService, type PodmanEvent } from '../../src/podman/index.js';
import { podman } from '../support/podman-cli.js';
import {
  crashImage,
  helloImage,
  startTestPodman,
  tempDataDir,
  testLabels,
  testRunId,
  TEST_RUN_LABEL,
  uniqueAppId,
  waitFor,
  type TestPodman,
} from '../support/index.js';

let pm: TestPodman;

beforeAll(async () => {
  pm = await startTestPodman();
  await pm.client.pullImage(crashImage(), { tlsVerify: false });
  await pm.client.pullImage(helloImage('1.0.0'), { tlsVerify: false });
});

afterAll(async () => {
  await pm?.stop();
});

const ourContainers = (): Record<string, string[]> => ({
  type: ['container'],
  label: [`${TEST_RUN_LABEL}=${testRunId()}`],
});

describe('podman events', () => {
  it('delivers a died event with the exit code and the labels when a container exits', async () => {
    const abort = new AbortController();
    const seen: PodmanEvent[] = [];
    const name = uniqueAppId('crash');
    const listening = (async () => {
      for await (const event of pm.client.events({ filters: ourContainers(), signal: abort.signal })) {
        seen.push(event);
        if (event.name === name && event.action === 'died') abort.abort();
      }
    })();
    const { id } = await pm.client.createContainer({ name, image: crashImage(), labels: testLabels() });
    await pm.client.startContainer(id);
    await waitFor(() => seen.some((e) => e.name === name && e.action === 'died'), {
      timeoutMs: 20_000,
      what: `a died event for ${name}`,
    });
    await listening;
    const died = seen.find((e) => e.name === name && e.action === 'died')!;
    expect(died).toMatchObject({ type: 'container', id, exitCode: 3 });
    expect(died.attributes[TEST_RUN_LABEL]).toBe(testRunId());
    expect(died.timeNano).toBeGreaterThan(died.time * 1e9 - 1);
    const actions = seen.filter((e) => e.id === id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['create', 'start', 'died']));
    await pm.client.removeContainer(id, { force: true });
  });

  it('reconnects after the service goes away and delivers the events it missed, once', async () => {
    const dir = tempDataDir('events-gap');
    const socketPath = join(dir, 'podman.sock');
    let service = await startPodmanService({ socketPath, logFile: join(dir, 'service.log') });
    const { PodmanClient } = await import('../../src/podman/index.js');
    const client = new PodmanClient({ socketPath });
    const stream = client.eventStream({ filters: ourContainers(), initialBackoffMs: 100, maxBackoffMs: 400 });
    const seen: PodmanEvent[] = [];
    let connections = 0;
    stream.on('event', (e) => seen.push(e));
    stream.on('connected', () => (connections += 1));
    try {
      stream.start();
      await waitFor(() => connections === 1, { what: 'the first events connection' });

      // Seen live, before the outage.
      const before = uniqueAppId('before');
      await podman([
        'create',
        '--label',
        `${TEST_RUN_LABEL}=${testRunId()}`,
        '--name',
        before,
        helloImage('1.0.0'),
      ]);
      await waitFor(() => seen.some((e) => e.name === before && e.action === 'create'), {
        what: 'the live create event',
      });

      await service.stop();
      // Happens while nobody listens: the CLI writes to the same event log.
      const during = uniqueAppId('during');
      await podman([
        'run',
        '-d',
        '--label',
        `${TEST_RUN_LABEL}=${testRunId()}`,
        '--name',
        during,
        helloImage('1.0.0'),
      ]);
      service = await startPodmanService({ socketPath, logFile: join(dir, 'service.log') });

      await waitFor(() => seen.some((e) => e.name === during && e.action === 'start'), {
        timeoutMs: 20_000,
        what: 'the start event that happened during the outage',
      });
      expect(connections).toBeGreaterThanOrEqual(2);
      const keys = seen.map((e) => `${e.timeNano}|${e.action}|${e.id}`);
      expect(new Set(keys).size, 'no event delivered twice').toBe(keys.length);
      expect(seen.filter((e) => e.name === before && e.action === 'create')).toHaveLength(1);
      expect(seen.filter((e) => e.name === during && e.action === 'create')).toHaveLength(1);
    } finally {
      await stream.stop();
      await client.close();
      await service.stop();
    }
  });
});
