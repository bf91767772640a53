import { describe, expect, it } from 'vitest';
import { batchesOf, Channel, pulled } from './channel.js';

describe('Channel', () => {
  it('hands a batch reader what was pushed between two reads, then the failure after the buffered items', async () => {
    const channel = new Channel<number>();
    channel.push(1);
    channel.push(2);
    const batches = channel.batches();
    expect(await batches.next()).toEqual({ done: false, value: [1, 2] });
    const waiting = batches.next();
    channel.push(3);
    channel.push(4);
    expect(await waiting).toEqual({ done: false, value: [3, 4] });
    channel.push(5);
    channel.fail(new Error('cut'));
    expect(await batches.next()).toEqual({ done: false, value: [5] });
    await expect(batches.next()).rejects.toThrow('cut');
  });

  it('batchesOf reads any other async iterable one item per batch', async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    const seen: number[][] = [];
    for await (const batch of batchesOf(three())) seen.push(batch);
    expect(seen).toEqual([[1], [2], [3]]);
  });
});

describe('pulled', () => {
  it("iterates what a push producer emits, ending with its promise and throwing its rejection", async () => {
    const ok: number[] = [];
    for await (const n of pulled<number>(async (push) => [1, 2, 3].forEach(push))) ok.push(n);
    expect(ok).toEqual([1, 2, 3]);
    const failing = pulled<number>(async (push) => {
      push(1);
      throw new Error('broken');
    });
    expect(await failing.next()).toEqual({ done: false, value: 1 });
    await expect(failing.next()).rejects.toThrow('broken');
  });

  it('a reader that stops early cancels the producer, whose next push throws', async () => {
    let cancelled = false;
    let emit!: (n: number) => void;
    let finish!: () => void;
    const produced = new Promise<void>((resolve) => (finish = resolve));
    const items = pulled<number>(
      async (push) => {
        emit = push;
        push(1);
        await produced;
      },
      () => (cancelled = true),
    );
    for await (const n of items) {
      expect(n).toBe(1);
      break;
    }
    expect(cancelled).toBe(true);
    expect(() => emit(2)).toThrow('the reader stopped reading');
    finish();
  });
});
