import { EventEmitter } from 'node:events';

/**
 * A typed event bus: the gateway and the orchestrator emit, the SSE writer,
 * stats, metrics and logs listen. Listeners must not throw; one that does is
 * reported on `listener_error` rather than breaking the emitter's caller.
 */
export class EventBus<Events extends object> {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): () => void {
    this.emitter.on(name, listener as (e: unknown) => void);
    return () => this.emitter.off(name, listener as (e: unknown) => void);
  }

  emit<K extends keyof Events & string>(name: K, event: Events[K]): void {
    for (const listener of this.emitter.listeners(name)) {
      try {
        (listener as (e: unknown) => void)(event);
      } catch (err) {
        if (name !== 'listener_error') this.emitter.emit('listener_error', err);
      }
    }
  }
}
