import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, until, type RunJson } from '../helpers/cli.js';

const ORDER = resolve(import.meta.dirname, '../../examples/order/order.ts');
const order = (id: string, total: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ orderId: id, customerId: 'c1', items: [{ sku: 'book', quantity: 1 }], total, email: 'c1@example.com', ...extra });

interface CodeRunJson extends RunJson {
  kind: string;
  result?: unknown;
  userStatus?: unknown;
}

let box: Sandbox;
afterEach(() => box?.remove());

describe('baton run with a TypeScript workflow', () => {
  it('runs the module as it is, and show prints its result and status', async () => {
    box = new Sandbox();
    const r = await box.run(['run', ORDER, '--input', order('o1', 50)], { ORDER_LEDGER: box.path('ledger') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [run] = await box.json<CodeRunJson[]>(['runs']);
    const shown = await box.json<CodeRunJson>(['show', run?.id ?? '']);
    expect(shown).toMatchObject({ kind: 'code', status: 'succeeded', result: { orderId: 'o1', paymentId: 'pay_o1', trackingNumber: 'TRKO1' }, userStatus: 'done' });
    expect(box.lines('ledger').map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['charge', 'reserve', 'ship', 'email']);
    const graph = await box.run(['graph', run?.id ?? '']);
    expect(graph.stdout).toContain('reserve  <- charge');
  });

  it('a signal from another process reaches the waiting run; a rejection compensates and exits 1', async () => {
    box = new Sandbox();
    const env = { ORDER_LEDGER: box.path('ledger') };
    const approved = box.start(['run', ORDER, '--input', order('o2', 1500)], env);
    await until(() => approved.output().includes('signal(approval)'));
    const [run] = await box.json<CodeRunJson[]>(['runs']);
    expect(run?.status).toBe('waiting');
    const sent = await box.run(['signal', run?.id ?? '', 'approval', 'true']);
    expect(sent.stdout).toMatch(/^signal approval sent to run \S+\n$/);
    expect((await approved.done).code).toBe(0);

    const rejected = box.start(['run', ORDER, '--input', order('o3', 2000)], env);
    await until(() => rejected.output().includes('signal(approval)'));
    const [run3] = await box.json<CodeRunJson[]>(['runs']);
    await box.run(['signal', run3?.id ?? '', 'approval', 'false']);
    const done = await rejected.done;
    expect(done.code).toBe(1);
    const kinds = box.lines('ledger').map((l) => JSON.parse(l) as { kind: string; orderId?: string; paymentId?: string; reservationId?: string });
    expect(kinds.filter((k) => k.orderId === 'o3' || k.paymentId === 'pay_o3' || k.reservationId === 'res_o3').map((k) => k.kind)).toEqual([
      'charge',
      'reserve',
      'release',
      'refund',
    ]);
  });

  it('a signal while no process runs the run is taken on resume; a bad payload or an ended run is refused', async () => {
    box = new Sandbox();
    const waiting = box.start(['run', ORDER, '--input', order('o4', 1500)]);
    await until(() => waiting.output().includes('signal(approval)'));
    waiting.child.kill('SIGKILL');
    await waiting.done;
    const [run] = await box.json<CodeRunJson[]>(['runs']);
    const id = run?.id ?? '';
    const bad = await box.run(['signal', id, 'approval', '{oops']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the payload is not JSON/);
    const sent = await box.run(['signal', id, 'approval', 'true']);
    expect(sent.stdout).toContain(`it takes the signal on "baton resume ${id}"`);
    const resumed = await box.run(['resume', id]);
    expect(resumed.code).toBe(0);
    expect(await box.json<CodeRunJson>(['show', id])).toMatchObject({ status: 'succeeded', result: { orderId: 'o4' } });
    const again = await box.run(['signal', id, 'approval', 'true']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/has already succeeded/);
  });

  it('retry re-runs what failed and keeps what succeeded', async () => {
    box = new Sandbox();
    const dist = resolve(import.meta.dirname, '../../dist/index.js');
    const wf = box.write(
      'fixable.mjs',
      `import { appendFileSync, existsSync } from 'node:fs';
import { defineWorkflow, NonRetryableError } from ${JSON.stringify(dist)};
export default defineWorkflow('fixable', async (ctx) => {
  const a = await ctx.step('a', () => { appendFileSync('effects', 'a\\n'); return 1; });
  const b = await ctx.step('b', () => {
    appendFileSync('effects', 'b\\n');
    if (!existsSync('fixed')) throw new NonRetryableError('not fixed yet');
    return 2;
  });
  return a + b;
});
`,
    );
    const first = await box.run(['run', wf]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/NonRetryableError: not fixed yet/);
    const [run] = await box.json<CodeRunJson[]>(['runs']);
    const id = run?.id ?? '';
    box.write('fixed', '');
    const retried = await box.run(['retry', id]);
    expect(retried.code).toBe(0);
    expect(box.lines('effects')).toEqual(['a', 'b', 'b']);
    const shown = await box.json<CodeRunJson>(['show', id]);
    expect(shown).toMatchObject({ status: 'succeeded', result: 3, runAttempt: 2 });
    expect(shown.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 2],
    ]);
  });

  it('a module with a syntax error or no workflow is a clear error, exit 2', async () => {
    box = new Sandbox();
    const broken = box.write('broken.ts', 'export default (;\n');
    const r = await box.run(['run', broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.ts: the module failed to load/);
    const none = box.write('none.mjs', 'export const x = 1;\n');
    const r2 = await box.run(['run', none]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/none\.mjs: exports no workflow/);
  });
});
