/**
 * Alerts from a started `baton server`, received by a local HTTP server (the
 * webhook and the Slack-compatible webhook) and a local SMTP server, both
 * started by this test: a failure, a success and a slow run, with the
 * workflow's secret masked everywhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, until } from '../helpers/cli.js';

const SECRET = 's3cr3t-alert-token';
let box: Sandbox;
let http: Server;
let smtp: SMTPServer;
let server: ReturnType<Sandbox['start']>;
let base: string;
let admin: string;
const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
const mails: string[] = [];

function listen(s: { listen: (port: number, host: string, cb: () => void) => unknown }, address: () => AddressInfo | string | null): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((address() as AddressInfo).port)));
}

beforeAll(async () => {
  http = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.end('ok');
    });
  });
  const hookPort = await listen(http, () => http.address());
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => {
        mails.push(text);
        done();
      });
    },
  });
  const smtpPort = await listen(smtp as unknown as { listen: (port: number, host: string, cb: () => void) => unknown }, () => (smtp as unknown as { server: Server }).server.address());
  box = new Sandbox();
  const hook = (path: string) => `http://127.0.0.1:${hookPort}/${path}`;
  box.write(
    'fails.yaml',
    [
      'name: fails',
      'secrets: [ALERT_TOKEN]',
      'tasks:',
      '  - id: deploy',
      '    command: echo "token is $ALERT_TOKEN"; echo second line; exit 3',
      'alerts:',
      `  - { when: failure, webhook: "${hook('hook')}" }`,
      `  - { when: [failure], slack: "${hook('slack')}" }`,
      '  - { when: failure, email: [ops@example.com, dev@example.com] }',
      `  - { when: success, webhook: "${hook('never')}" }`,
      '',
    ].join('\n'),
  );
  box.write('ok.yaml', ['name: ok', 'tasks:', '  - id: a', '    command: "true"', 'alerts:', `  - { when: success, webhook: "${hook('ok')}" }`, `  - { when: failure, webhook: "${hook('never')}" }`, ''].join('\n'));
  box.write('slow.yaml', ['name: slow', 'tasks:', '  - id: a', '    command: sleep 1.3', 'alerts:', `  when: slow`, `  slowerThan: 1s`, `  webhook: "${hook('slow')}"`, ''].join('\n'));
  server = box.start(['server', box.dir, '--port', '0', '--smtp', `smtp://127.0.0.1:${smtpPort}`], { ALERT_TOKEN: SECRET });
  await until(() => /^Open http/m.test(server.output()), 20_000);
  base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
  admin = (/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string;
}, 30_000);

afterAll(async () => {
  server.child.kill('SIGKILL');
  http.close();
  await new Promise<void>((r) => smtp.close(() => r()));
  box.remove();
});

const start = async (workflow: string) =>
  ((await (await fetch(`${base}/api/workflows/${workflow}/runs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: '{}' })).json()) as { runId: string }).runId;

describe('alerts', () => {
  it('a failed run is reported to the webhook, the Slack webhook and by email, with its last output and the secret masked', async () => {
    const runId = await start('fails');
    await until(() => posts.some((p) => p.path === '/hook') && posts.some((p) => p.path === '/slack') && mails.length > 0, 20_000);
    const hook = posts.find((p) => p.path === '/hook')?.body;
    expect(hook).toMatchObject({ type: 'run.failed', workflow: 'fails', runId, status: 'failed', error: 'task deploy failed', url: `${base}/runs/${runId}` });
    expect(hook?.failedSteps).toEqual([{ id: 'deploy', lastLines: ['token is ***', 'second line', 'command exited with code 3; attempt 1 of 1, not retrying'] }]);
    expect(String(posts.find((p) => p.path === '/slack')?.body.text)).toMatch(/^\[baton\] fails failed \(run \S+\)\nRun \S+ of fails: failed after [\d.]+s\.\nError: task deploy failed\n\nStep deploy failed; its last output:\n {2}token is \*\*\*\n {2}second line\n/);
    const mail = mails[0] as string;
    expect(mail).toMatch(/^To: ops@example\.com, dev@example\.com$/m);
    expect(mail).toMatch(/^Subject: \[baton\] fails failed \(run /m);
    expect(mail).toContain('token is ***');
    for (const text of [...posts.map((p) => JSON.stringify(p.body)), ...mails]) expect(text).not.toContain(SECRET);
    expect(posts.some((p) => p.path === '/never')).toBe(false);
  });

  it('a success and a slow run are reported where their alerts say', async () => {
    const ok = await start('ok');
    const slow = await start('slow');
    await until(() => posts.some((p) => p.path === '/ok') && posts.some((p) => p.path === '/slow'), 20_000);
    expect(posts.find((p) => p.path === '/ok')?.body).toMatchObject({ type: 'run.succeeded', runId: ok, failedSteps: [] });
    const slowReport = posts.find((p) => p.path === '/slow')?.body;
    expect(slowReport).toMatchObject({ type: 'run.slow', runId: slow, status: 'succeeded' });
    expect(slowReport?.durationMs as number).toBeGreaterThan(1000);
    expect(posts.some((p) => p.path === '/never')).toBe(false);
  });
});
