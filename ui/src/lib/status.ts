import type { AppState, HealthStatus } from '@archipelago/core/contract';

export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'busy';

/** The words and colour of an app's state badge, health folded in. */
export function statusBadge(state: AppState, health: HealthStatus): { label: string; tone: Tone } {
  switch (state) {
    case 'running':
      if (health === 'healthy') return { label: 'Running · healthy', tone: 'ok' };
      if (health === 'starting') return { label: 'Running · checking', tone: 'busy' };
      if (health === 'unhealthy') return { label: 'Unhealthy', tone: 'warn' };
      return { label: 'Running', tone: 'ok' };
    case 'starting':
      return { label: 'Starting', tone: 'busy' };
    case 'installing':
      return { label: 'Installing', tone: 'busy' };
    case 'updating':
      return { label: 'Updating', tone: 'busy' };
    case 'stopping':
      return { label: 'Stopping', tone: 'busy' };
    case 'unhealthy':
      return { label: 'Unhealthy', tone: 'warn' };
    case 'crash-loop':
      return { label: 'Crash loop', tone: 'bad' };
    case 'failed':
      return { label: 'Failed', tone: 'bad' };
    case 'stopped':
      return { label: 'Stopped', tone: 'idle' };
  }
}
