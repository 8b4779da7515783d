import { describe, expect, it } from 'vitest';
import { ChannelLimit } from '../../../../src/hosts/ssh/channel-limit.js';
import { hostKeyOrder } from '../../../../src/hosts/ssh/connect.js';

describe('ChannelLimit', () => {
  it('lets `limit` through at once and the rest in order as slots free', async () => {
    const limit = new ChannelLimit(2);
    const order: number[] = [];
    const a = await limit.acquire();
    const b = await limit.acquire();
    const c = limit.acquire().then((release) => (order.push(3), release));
    const d = limit.acquire().then((release) => (order.push(4), release));
    expect(limit.running).toBe(2);
    a();
    a(); // releasing twice frees one slot only
    (await c)();
    b();
    (await d)();
    expect(order).toEqual([3, 4]);
    expect(limit.running).toBe(0);
  });

  it('an aborted wait leaves the queue', async () => {
    const limit = new ChannelLimit(1);
    const held = await limit.acquire();
    const controller = new AbortController();
    const waiting = limit.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow('aborted');
    held();
    expect(limit.running).toBe(0);
    await expect(limit.acquire(AbortSignal.abort())).rejects.toThrow('aborted');
  });
});

describe('hostKeyOrder', () => {
  it('puts the algorithms of key types already known first, as ssh does', () => {
    expect(hostKeyOrder([])[0]).toBe('ssh-ed25519');
    expect(hostKeyOrder(['ssh-rsa']).slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(hostKeyOrder(['ecdsa-sha2-nistp256', 'ssh-unknown'])[0]).toBe('ecdsa-sha2-nistp256');
    expect(new Set(hostKeyOrder(['ssh-rsa'])).size).toBe(7);
  });
});
