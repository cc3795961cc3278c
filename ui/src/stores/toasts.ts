import { defineStore } from 'pinia';
import { ref } from 'vue';
import { errorMessage } from '../api/container-client';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  message: string;
}

/** Short messages in a corner; errors carry the daemon's own words and stay longer. */
export const useToasts = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let nextId = 1;

  function push(kind: Toast['kind'], message: string, timeoutMs = kind === 'error' ? 12_000 : 5_000): number {
    const id = nextId++;
    items.value = [...items.value.slice(-4), { id, kind, message }];
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs);
    return id;
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((toast) => toast.id !== id);
  }

  const error = (cause: unknown): number => push('error', errorMessage(cause));
  const info = (message: string): number => push('info', message);
  const success = (message: string): number => push('success', message);

  return { items, push, dismiss, error, info, success };
});
