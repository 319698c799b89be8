/**
 * @module spec/schema
 * The workflow file format as a zod schema: the documented shape of a file,
 * exported as JSON Schema for editors (`schema/workflow.schema.json`). The
 * loader's hand-written checks (fast enough for 100,000 tasks, with file
 * positions and "did you mean") use the same key lists, kept in format.ts
 * so that loading a file never loads zod; tests hold both to the same keys
 * and the same documents.
 */

import { z } from 'zod';
import { ALERT_WHEN, CATCH_UPS, OVERLAPS } from '../core/schedule.js';
import { BACKOFFS, ENV_NAME_PATTERN, ID_PATTERN, INPUT_TYPES, JITTERS, PRIORITY_MAX } from './format.js';

const DURATION_PATTERN = /^\s*(?:\d+(?:\.\d+)?|(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+)\s*$/;


const id = z.string().regex(ID_PATTERN).meta({ description: 'Letters, digits, _ . -; not starting with a digit, . or -' });
const duration = z
  .union([z.string().regex(DURATION_PATTERN), z.number().positive()])
  .meta({ description: 'A duration: 500ms, 30s, 5m, 1h30m, 2d, or a number of seconds' });
const template = (description: string) => z.string().meta({ description: `${description}. May hold \${{ expr }}.` });
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const envMap = z.record(z.string().regex(ENV_NAME_PATTERN), scalar).meta({ description: 'Environment variables; values may hold ${{ expr }}' });
const idList = z.union([id, z.array(id)]);

export const retrySchema = z
  .strictObject({
    attempts: z.int().min(1).meta({ description: 'Total attempts, the first included' }),
    backoff: z.enum(BACKOFFS),
    initial: z.union([z.string().regex(DURATION_PATTERN), z.number().min(0)]).meta({ description: 'First delay (0 allowed)' }),
    max: duration,
    factor: z.number().min(1),
    jitter: z.enum(JITTERS),
    nonRetryableExitCodes: z.array(z.int().min(0).max(255)),
  })
  .partial();

const chaosSchema = z
  .strictObject({
    failureRate: z.number().min(0).max(1).meta({ description: 'The chance that an attempt fails on purpose' }),
    latency: z.union([z.string().regex(DURATION_PATTERN), z.number().min(0)]).meta({ description: 'Each attempt is delayed by up to this' }),
  })
  .partial()
  .meta({ description: 'Failure rehearsal: attempts fail and slow down on purpose, so that retries, rollbacks and alerts can be tried' });

const priority = z.int().min(-PRIORITY_MAX).max(PRIORITY_MAX).meta({ description: 'Higher first among work waiting for a slot (default 0)' });

const taskFields = {
  id,
  name: z.string().meta({ description: 'Display name' }),
  description: z.string(),
  command: template('Runs under /bin/sh -c; each ${{ }} is replaced by its shell-quoted value'),
  operation: template('Alias of command'),
  args: z.array(template('One argument; runs without a shell')).min(1),
  workflow: z.string().min(1).meta({ description: 'A workflow (code module or file, by path or name) run as a child of this run' }),
  function: z
    .string()
    .regex(/^[^#\s]+(#[A-Za-z_$][\w$]*)?$/)
    .meta({ description: 'An exported TypeScript/JavaScript function, "./tasks/send.ts#send", called in-process with "input"' }),
  input: z.record(z.string(), z.unknown()).meta({ description: 'The input of "workflow" or "function"; ${{ }} in strings is replaced' }),
  dependsOn: idList,
  dependencies: idList.meta({ description: 'Alias of dependsOn' }),
  retries: z.int().min(0).meta({ description: 'Retries after the first attempt' }),
  retry: retrySchema,
  timeout: duration,
  if: z.union([z.string(), z.boolean()]).meta({ description: 'A CEL condition; may call success(), failure(), always(), cancelled()' }),
  env: envMap,
  cwd: template('Working directory'),
  rollback: template('Shell command run when the workflow fails after this task succeeded'),
  healthCheck: template('Shell command that must succeed after the task'),
  chaos: chaosSchema,
  pool: id.meta({ description: 'A named resource pool: the task takes one of its slots (baton server --pool NAME=SLOTS)' }),
  priority: priority,
};

export const taskSchema = z.strictObject(taskFields).partial().required({ id: true }).meta({ id: 'Task' });
const mapTaskSchema = z.strictObject(taskFields).partial().meta({ id: 'TaskInMap' });

const inputSchema = z.union([
  scalar.meta({ description: 'Shorthand: the default value' }),
  z.null(),
  z
    .strictObject({
      type: z.enum(INPUT_TYPES),
      default: scalar,
      description: z.string(),
      enum: z.array(scalar).min(1),
      required: z.boolean(),
    })
    .partial(),
]);

export const defaultsSchema = z
  .strictObject({ retries: taskFields.retries, retry: retrySchema, timeout: duration, env: envMap, cwd: taskFields.cwd })
  .partial();

const dateTime = z.string().meta({ description: 'An ISO 8601 date-time with a zone: 2026-12-01T09:00:00Z or 2026-12-01T09:00:00+01:00' });
const policy = <T extends readonly [string, ...string[]]>(names: T, withMax: string) =>
  z.union([z.enum(names), z.strictObject({ policy: z.enum(names), max: z.int().min(1).max(1000).meta({ description: withMax }) }).partial({ max: true })]);
const scheduleSchema = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'Names the schedule (default schedule-<n>)' }),
    cron: z.string().meta({ description: 'Cron: 5 fields (minute hour day month weekday), or 6 with seconds first' }),
    every: duration.meta({ description: 'An interval, aligned to start (else to the epoch)' }),
    at: dateTime.meta({ description: 'Once, at this time' }),
    timezone: z.string().meta({ description: 'IANA time zone of the cron fields (default UTC)' }),
    start: dateTime,
    end: dateTime,
    jitter: duration.meta({ description: 'Each fire is delayed by a part of this' }),
    catchUp: policy(CATCH_UPS, 'with all: at most this many missed fires').meta({ description: 'Fires missed while no server ran: none, latest (default) or all' }),
    overlap: policy(OVERLAPS, 'with queue: at most this many waiting').meta({ description: 'A fire while a run goes on: skip (default), queue, cancel-previous or allow' }),
    input: z.record(z.string(), z.unknown()).meta({ description: "The run's input" }),
  })
  .partial();
const eventSchema = z
  .strictObject({
    type: z.string().regex(/^[A-Za-z][\w.-]*$/).meta({ description: 'The event type: posted to /api/events, or run.succeeded / run.failed' }),
    if: z.union([z.string(), z.boolean()]).meta({ description: 'A CEL condition over event (type, data)' }),
    input: z.record(z.string(), z.unknown()).meta({ description: "The run's input; ${{ event.data.x }} in strings is replaced" }),
  })
  .partial()
  .required({ type: true });
const alertSchema = z
  .strictObject({
    when: z.union([z.enum(ALERT_WHEN), z.array(z.enum(ALERT_WHEN)).min(1)]),
    slowerThan: duration.meta({ description: 'With when: slow, the run time over which to alert' }),
    webhook: z.url().meta({ description: 'POST a JSON report here' }),
    slack: z.url().meta({ description: 'A Slack-compatible incoming webhook' }),
    email: z.union([z.email(), z.array(z.email()).min(1)]).meta({ description: 'Sent over the SMTP server of baton server --smtp' }),
  })
  .partial()
  .required({ when: true });
const hhmm = z.string().regex(/^([01]?\d|2[0-3]):([0-5]\d)$/).meta({ description: 'A time of day, HH:MM' });
const dayName = z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
const quietWindow = z
  .strictObject({
    days: z.union([dayName, z.array(dayName)]).meta({ description: 'Days the window starts on (default: every day)' }),
    from: hhmm,
    to: hhmm.meta({ description: 'End (a time before from ends the next day)' }),
    timezone: z.string().meta({ description: 'IANA time zone (default UTC)' }),
  })
  .partial()
  .required({ from: true, to: true });
const quietSchema = z
  .strictObject({
    windows: z.union([quietWindow, z.array(quietWindow).min(1)]),
    action: z.enum(['defer', 'skip']).meta({ description: 'defer (default): work waits for the window to end; skip: it does not happen' }),
  })
  .partial()
  .required({ windows: true })
  .meta({ description: 'No work of the workflow starts in these windows: scheduled and event-triggered runs, and retries' });
const onSchema = z
  .strictObject({
    schedule: z.union([scheduleSchema, z.array(scheduleSchema)]),
    event: z.union([eventSchema, z.array(eventSchema)]),
  })
  .partial()
  .meta({ description: 'Triggers, read by the server: schedules and events' });

export const workflowObjectSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string(),
    inputs: z.record(id, inputSchema),
    env: envMap,
    secrets: z.array(z.string().regex(ENV_NAME_PATTERN)).meta({ description: 'Names of environment variables holding secrets' }),
    concurrency: z.union([
      z.int().min(1).meta({ description: 'Tasks at once in one run' }),
      z.strictObject({
        tasks: z.int().min(1).meta({ description: 'Tasks at once in one run' }),
        runs: z.int().min(1).meta({ description: 'Runs of this workflow at once; more wait, queued' }),
        key: z.string().min(1).meta({ description: 'A template over inputs, such as "${{ inputs.customer }}": runs with the same value share `limit` slots' }),
        limit: z.int().min(1).meta({ description: 'Runs at once per key value (default 1)' }),
      }).partial(),
    ]),
    priority: priority,
    timeout: duration,
    failFast: z.boolean(),
    defaults: defaultsSchema,
    on: onSchema,
    quietHours: quietSchema,
    chaos: chaosSchema,
    alerts: z.union([alertSchema, z.array(alertSchema)]).meta({ description: 'Messages sent by the server when a run fails, succeeds, or is slow' }),
    tasks: z.union([z.array(taskSchema).min(1), z.record(id, z.union([mapTaskSchema, z.null()]))]),
  })
  .partial()
  .required({ tasks: true });

/** A workflow file: the full form, or a bare list of tasks. */
export const workflowFileSchema = z
  .union([workflowObjectSchema, z.array(taskSchema).min(1)])
  .meta({ title: 'baton workflow', description: 'A baton workflow file (YAML or JSON)' });

/** The keys each shape allows (format.ts keeps the same lists without zod; a test holds them equal). */
export const SCHEMA_KEYS = {
  workflow: Object.keys(workflowObjectSchema.shape),
  task: Object.keys(taskFields),
  retry: Object.keys(retrySchema.shape),
  defaults: Object.keys(defaultsSchema.shape),
};

/** The JSON Schema (draft 2020-12) of workflow files. */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowFileSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
