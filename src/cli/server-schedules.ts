/**
 * @module cli/server-schedules
 * The server's schedules: the Scheduler over the catalog's workflows, and
 * the view and controls the API offers (pause, resume, trigger now).
 */
import { describeCatchUp, describeOverlap, describeWhen, type ScheduleDef } from '../core/schedule.js';
import { BatonError } from '../core/errors.js';
import { quietPeriods, type QuietHoursDef } from '../core/quiet-hours.js';
import type { Engine } from '../engine/engine.js';
import type { ScheduleControl, ScheduleView, WorkflowCatalog } from '../server/app.js';
import { nextFires } from '../triggers/fires.js';
import { Scheduler } from '../triggers/scheduler.js';
import type { SubmitOptions } from './remote-run.js';

export function serverSchedules(
  engine: Engine,
  catalog: WorkflowCatalog,
  submit: (workflow: string, input: unknown, options: SubmitOptions) => Promise<string>,
  onWarning: (m: string) => void,
  onFired?: (workflow: string, schedule: string, dueAt: number, startedAt: number) => void,
): { scheduler: Scheduler; control: ScheduleControl } {
  const store = engine.store;
  const workflows = catalog.list().map((w) => ({ workflow: w.name, schedules: w.schedules }));
  const scheduler = new Scheduler({
    engine,
    workflows,
    submit: async (workflow, input, trigger) => {
      try {
        await submit(workflow, input, { runId: trigger.runId, trigger: 'schedule', ...(trigger.notBefore !== undefined ? { notBefore: trigger.notBefore } : {}) });
      } catch (error) {
        // Started by an earlier try of this fire (its server died before recording it): one run.
        if (await store.getRun(trigger.runId)) return trigger.runId;
        throw error;
      }
      await store.appendEvent(trigger.runId, 'run:scheduled', { data: { schedule: trigger.schedule, dueAt: trigger.dueAt } });
      return trigger.runId;
    },
    cancel: async (runId, reason) => {
      await store.cancelSteps(runId, reason);
      await store.setRunStatus(runId, ['queued', 'running', 'waiting', 'compensating'], 'cancelled', { error: reason });
    },
    onWarning,
    quietHoursOf: (workflow) => catalog.get(workflow)?.quietHours,
    ...(onFired ? { onFired } : {}),
  });
  const find = (workflow: string, id: string): ScheduleDef => {
    const s = catalog.get(workflow)?.schedules.find((x) => x.id === id);
    if (!s) throw new BatonError('NOT_FOUND', `no schedule "${id}" of workflow "${workflow}"`);
    return s;
  };
  const control: ScheduleControl = {
    async list(): Promise<ScheduleView[]> {
      const states = new Map((await store.scheduleStates()).map((s) => [`${s.workflow}\u0000${s.schedule}`, s.paused]));
      const views: ScheduleView[] = [];
      for (const { workflow, schedules } of workflows) {
        for (const s of schedules) {
          const last = await store.listFires(workflow, s.id, 5);
          views.push({
            workflow,
            id: s.id,
            when: describeWhen(s),
            timezone: s.timezone,
            catchUp: describeCatchUp(s.catchUp),
            overlap: describeOverlap(s.overlap),
            jitterMs: s.jitterMs,
            paused: states.get(`${workflow}\u0000${s.id}`) ?? false,
            next: nextFires(s, engine.clockNow, 5).map((t) => new Date(t).toISOString()),
            week: weekAhead(s, catalog.get(workflow)?.quietHours, engine.clockNow),
            last: last.map((f) => ({ dueAt: new Date(f.dueAt).toISOString(), outcome: f.outcome, runId: f.runId })),
          });
        }
      }
      return views;
    },
    async setPaused(workflow, id, paused) {
      find(workflow, id);
      await store.setSchedulePaused({ workflow, schedule: id, paused, changedAt: engine.clockNow });
      scheduler.wake();
    },
    async trigger(workflow, id) {
      return scheduler.trigger(workflow, find(workflow, id));
    },
  };
  return { scheduler, control };
}

/** Fires a calendar shows of a week at most (a schedule every few seconds has far more: `more` says so). */
const WEEK_FIRES = 500;
const WEEK = 7 * 86_400_000;

function weekAhead(s: ScheduleDef, quiet: QuietHoursDef | undefined, now: number): ScheduleView['week'] {
  const iso = (t: number) => new Date(t).toISOString();
  const until = now + WEEK;
  const fires = nextFires(s, now, WEEK_FIRES + 1).filter((t) => t < until);
  return {
    from: iso(now),
    until: iso(until),
    fires: fires.slice(0, WEEK_FIRES).map(iso),
    more: fires.length > WEEK_FIRES,
    quiet: quietPeriods(quiet, now, until).map((p) => ({ from: iso(p.from), until: iso(p.until) })),
    quietAction: quiet?.action ?? null,
  };
}
