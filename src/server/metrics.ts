/**
 * @module server/metrics
 * Prometheus metrics of a server (prom-client): what its engine saw happen
 * (runs and steps finished, their durations, retries, schedule lag) and, at
 * each scrape, what the store holds (runs by workflow and status, steps
 * waiting for a worker, steps running).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../engine/engine.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly stepStarts = new Map<string, number>();
  private readonly runsFinished = new Counter({ name: 'baton_runs_finished_total', help: 'Runs finished by this server, by workflow and status', labelNames: ['workflow', 'status'], registers: [this.registry] });
  private readonly runSeconds = new Histogram({
    name: 'baton_run_duration_seconds',
    help: 'Run durations (start to end), by workflow and status',
    labelNames: ['workflow', 'status'],
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly stepsFinished = new Counter({ name: 'baton_steps_finished_total', help: 'Step attempts finished here, by kind and status', labelNames: ['kind', 'status'], registers: [this.registry] });
  private readonly stepSeconds = new Histogram({
    name: 'baton_step_duration_seconds',
    help: 'Step attempt durations, by kind and status',
    labelNames: ['kind', 'status'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
    registers: [this.registry],
  });
  private readonly retries = new Counter({ name: 'baton_step_retries_total', help: 'Step attempts that failed and will be retried', registers: [this.registry] });
  private readonly scheduleLag = new Histogram({
    name: 'baton_schedule_lag_seconds',
    help: 'From a schedule due time to its run being started',
    labelNames: ['workflow', 'schedule'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300],
    registers: [this.registry],
  });

  constructor(private readonly engine: Engine) {
    const store = engine.store;
    const runs = new Gauge({ name: 'baton_runs', help: 'Runs in the store, by workflow and status', labelNames: ['workflow', 'status'], registers: [this.registry] });
    const ready = new Gauge({ name: 'baton_steps_ready', help: 'Steps ready to run and waiting for a worker (queue depth)', registers: [this.registry] });
    const running = new Gauge({ name: 'baton_steps_running', help: 'Steps running on some worker', registers: [this.registry] });
    const poolGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['pool'], registers: [this.registry] });
    const slots = poolGauge('baton_pool_slots', 'Slots of a resource pool (absent: not defined)');
    const used = poolGauge('baton_pool_used', 'Slots taken (tasks ready, running or retrying)');
    const queued = poolGauge('baton_pool_queued', 'Tasks waiting for a slot');
    this.refresh = async () => {
      const [c, pools] = await Promise.all([store.counts(engine.clockNow), store.listPools()]);
      runs.reset();
      for (const r of c.runs) runs.set({ workflow: r.workflow, status: r.status }, r.n);
      ready.set(c.ready);
      running.set(c.running);
      for (const g of [slots, used, queued]) g.reset();
      for (const p of pools) {
        if (p.slots !== null) slots.set({ pool: p.name }, p.slots);
        used.set({ pool: p.name }, p.used);
        queued.set({ pool: p.name }, p.queued);
      }
    };
  }

  private readonly refresh: () => Promise<void>;

  /** Follow the engine's events; returns the way to stop. */
  watch(): () => void {
    const key = (e: { runId: string; stepId: string; attempt: number }) => `${e.runId}\u0000${e.stepId}\u0000${e.attempt}`;
    const offs = [
      this.engine.on('step:started', (e) => this.stepStarts.set(key(e), e.at)),
      this.engine.on('step:finished', (e) => {
        const started = this.stepStarts.get(key(e));
        this.stepStarts.delete(key(e));
        this.stepsFinished.inc({ kind: e.kind, status: e.status });
        if (e.status === 'retrying') this.retries.inc();
        if (started !== undefined) this.stepSeconds.observe({ kind: e.kind, status: e.status }, Math.max(0, e.at - started) / 1000);
      }),
      this.engine.on('run:finished', (e) => {
        void this.engine.store.getRun(e.runId).then((run) => {
          if (!run) return;
          this.runsFinished.inc({ workflow: run.workflow, status: e.status });
          if (run.startedAt !== null && run.finishedAt !== null) this.runSeconds.observe({ workflow: run.workflow, status: e.status }, Math.max(0, run.finishedAt - run.startedAt) / 1000);
        });
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  scheduled(workflow: string, schedule: string, dueAt: number, startedAt: number): void {
    this.scheduleLag.observe({ workflow, schedule }, Math.max(0, startedAt - dueAt) / 1000);
  }

  async text(): Promise<{ body: string; contentType: string }> {
    await this.refresh();
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
