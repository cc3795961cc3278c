import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose event names and payload types are declared once, in `Events`, and
 * checked at compile time for every emit and listener.
 */
export class TypedEventBus<Events extends object> {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    // Every WebSocket client adds listeners; the default cap of 10 would warn spuriously.
    this.emitter.setMaxListeners(0);
  }

  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    this.emitter.emit(event, payload);
  }
}
