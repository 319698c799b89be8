/**
 * @module server/alerts
 * A workflow's `alerts:`: when one of its runs ends failed (or timed out, or
 * cancelled), succeeded, or took longer than `slowerThan`, a report goes to
 * a webhook (JSON), a Slack-compatible webhook (`{text}`) or email. The
 * report names the run, its status, error and duration, and the last output
 * lines of the steps that failed, with the workflow's secrets masked.
 */
import type { AlertDef } from '../core/schedule.js';
import type { Engine } from '../engine/engine.js';

export interface AlertReport {
  type: 'run.failed' | 'run.succeeded' | 'run.slow';
  workflow: string;
  runId: string;
  status: string;
  error: string | null;
  durationMs: number | null;
  url: string;
  failedSteps: Array<{ id: string; lastLines: string[] }>;
}

export interface AlertDeps {
  engine: Engine;
  alertsOf(workflow: string): AlertDef[];
  /** Values to mask in reports: the workflow's secrets as this server sees them. */
  secretsOf(workflow: string): string[];
  /** Where a person opens the run (the console). */
  runUrl(runId: string): string;
  post(url: string, body: unknown): Promise<void>;
  /** Undefined when the server has no SMTP server (--smtp). */
  mail: ((to: string[], subject: string, text: string) => Promise<void>) | undefined;
  onWarning(message: string): void;
}

const LAST_LINES = 10;

export class Alerter {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: AlertDeps) {}

  watch(): () => void {
    return this.deps.engine.on('run:finished', (e) => {
      const p = this.onFinished(e.runId).catch((error: unknown) => this.deps.onWarning(`alerts for run ${e.runId}: ${(error as Error).message}`));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    });
  }

  /** Reports still being sent (a draining server waits for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async onFinished(runId: string): Promise<void> {
    const store = this.deps.engine.store;
    const run = await store.getRun(runId);
    if (!run) return;
    const alerts = this.deps.alertsOf(run.workflow);
    if (alerts.length === 0) return;
    const durationMs = run.startedAt !== null && run.finishedAt !== null ? run.finishedAt - run.startedAt : null;
    const failed = run.status !== 'succeeded';
    const mask = masker(this.deps.secretsOf(run.workflow));
    let failedSteps: AlertReport['failedSteps'] | undefined;
    for (const alert of alerts) {
      const slow = alert.when.includes('slow') && alert.slowerThanMs !== undefined && durationMs !== null && durationMs > alert.slowerThanMs;
      const type: AlertReport['type'] | undefined =
        failed && alert.when.includes('failure') ? 'run.failed' : !failed && alert.when.includes('success') ? 'run.succeeded' : slow ? 'run.slow' : undefined;
      if (!type) continue;
      failedSteps ??= await this.failedSteps(runId, mask);
      const report: AlertReport = { type, workflow: run.workflow, runId, status: run.status, error: run.error === null ? null : mask(run.error), durationMs, url: this.deps.runUrl(runId), failedSteps };
      await this.send(alert, report).catch((error: unknown) => this.deps.onWarning(`alert for run ${runId} (${describe(alert)}) not sent: ${(error as Error).message}`));
    }
  }

  private async failedSteps(runId: string, mask: (s: string) => string): Promise<AlertReport['failedSteps']> {
    const store = this.deps.engine.store;
    const steps = (await store.getSteps(runId)).filter((s) => s.status === 'failed');
    const out: AlertReport['failedSteps'] = [];
    for (const s of steps.slice(0, 5)) {
      const lines = await store.getLogs({ runId, stepId: s.id, attempt: s.attempt });
      out.push({ id: s.id, lastLines: lines.slice(-LAST_LINES).map((l) => mask(l.line)) });
    }
    return out;
  }

  private async send(alert: AlertDef, r: AlertReport): Promise<void> {
    if (alert.webhook) await this.deps.post(alert.webhook, r);
    if (alert.slack) await this.deps.post(alert.slack, { text: `${subject(r)}\n${text(r)}` });
    if (alert.email) {
      if (!this.deps.mail) throw new Error('this server has no SMTP server to send email with (baton server --smtp smtp://host:port, or BATON_SMTP_URL)');
      await this.deps.mail(alert.email, subject(r), text(r));
    }
  }
}

function subject(r: AlertReport): string {
  const what = r.type === 'run.slow' ? `took ${seconds(r.durationMs)}` : r.status;
  return `[baton] ${r.workflow} ${what} (run ${r.runId})`;
}

function text(r: AlertReport): string {
  const lines = [`Run ${r.runId} of ${r.workflow}: ${r.status}${r.durationMs !== null ? ` after ${seconds(r.durationMs)}` : ''}.`];
  if (r.error) lines.push(`Error: ${r.error}`);
  for (const s of r.failedSteps) lines.push('', `Step ${s.id} failed; its last output:`, ...s.lastLines.map((l) => `  ${l}`));
  lines.push('', r.url);
  return lines.join('\n');
}

const seconds = (ms: number | null) => (ms === null ? '?' : `${(ms / 1000).toFixed(1)}s`);

function describe(a: AlertDef): string {
  return a.webhook ? `webhook ${a.webhook}` : a.slack ? `slack ${a.slack}` : `email ${a.email?.join(', ')}`;
}

/** Every secret value replaced by ***, the longest first (one secret may contain another). */
function masker(values: string[]): (s: string) => string {
  const secrets = values.filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
  return (s) => secrets.reduce((text, v) => text.split(v).join('***'), s);
}
