import { describe, expect, it } from 'vitest';
import { nextStep, type Observation, type ReconcileStep, type ReconcileTrigger } from './reconcile-step.js';

const base: Observation = {
  phase: 'installed',
  desired: 'running',
  inFlight: false,
  container: 'running',
  unhealthy: false,
  crashLoop: false,
  restartPending: false,
  watched: true,
};

const rows: Array<[string, Partial<Observation>, ReconcileTrigger, ReconcileStep]> = [
  ['an interrupted install at boot', { phase: 'installing', container: 'none' }, 'boot', 'roll-back-install'],
  ['an install in flight, seen by the resync', { phase: 'installing', inFlight: true }, 'resync', 'none'],
  ['an operation owns the app', { inFlight: true, container: 'stopped' }, 'supervisor', 'none'],
  ['stopped as the user asked', { desired: 'stopped', container: 'stopped' }, 'resync', 'none'],
  ['running though the user stopped it', { desired: 'stopped' }, 'boot', 'stop'],
  ['running and probed', {}, 'resync', 'none'],
  ['running, adopted at boot, not probed yet', { watched: false }, 'boot', 'watch'],
  ['running but unhealthy, the supervisor’s turn', { unhealthy: true }, 'supervisor', 'restart'],
  ['running but unhealthy, seen by the resync', { unhealthy: true }, 'resync', 'none'],
  ['down at boot', { container: 'stopped' }, 'boot', 'bring-up'],
  ['container lost at boot', { container: 'none' }, 'boot', 'bring-up'],
  ['down, the supervisor’s timer', { container: 'stopped' }, 'supervisor', 'bring-up'],
  ['down, a user start', { container: 'stopped' }, 'user', 'bring-up'],
  ['down with a restart on its way', { container: 'stopped', restartPending: true }, 'resync', 'none'],
  ['down and nobody knows', { container: 'stopped' }, 'resync', 'report-failure'],
  ['given up (crash loop), the resync', { container: 'stopped', crashLoop: true }, 'resync', 'none'],
  ['given up (crash loop), at boot', { container: 'stopped', crashLoop: true }, 'boot', 'none'],
  ['given up (crash loop), a user start', { container: 'stopped', crashLoop: true }, 'user', 'bring-up'],
];

describe('nextStep: desired vs observed → the next step', () => {
  it.each(rows)('%s', (_what, observed, trigger, step) => {
    expect(nextStep({ ...base, ...observed }, trigger)).toBe(step);
  });

  it('is idempotent: once the step it named is done, it names none', () => {
    const done: Record<ReconcileStep, Partial<Observation>> = {
      none: {},
      'roll-back-install': {},
      'bring-up': { container: 'running' },
      restart: { unhealthy: false },
      stop: { container: 'stopped' },
      watch: { watched: true },
      'report-failure': { restartPending: true },
    };
    for (const [, observed, trigger, step] of rows) {
      if (step === 'none' || step === 'roll-back-install') continue;
      const after = { ...base, ...observed, ...done[step] };
      expect(nextStep(after, trigger === 'supervisor' ? 'resync' : trigger), `${step} then again`).toBe(
        'none',
      );
    }
  });
});
