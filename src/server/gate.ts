/**
 * At most `limit` generations at once; up to `maxQueue` more wait their turn in arrival order; beyond that a request
 * is refused at once (HTTP 429) rather than queued without bound. A waiter whose client goes away leaves the queue.
 */
import { RequestError } from '../openai/requests.js';

export class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number, readonly maxQueue: number) {}

  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** Resolves with a release function once a slot is free. */
  async enter(signal: AbortSignal): Promise<() => void> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueue) throw new RequestError(null, `the server is busy (${this.limit} generating, ${this.maxQueue} waiting); try again later`, 429, 'rate_limit_exceeded');
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          const i = this.waiting.indexOf(turn);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new RequestError(null, 'the client went away', 499));
        };
        if (signal.aborted) return leave();
        signal.addEventListener('abort', leave, { once: true });
        this.waiting.push(turn);
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}
