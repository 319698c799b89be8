/**
 * @module core/run-trigger
 * What started a run, as its row and history tell: a parent run (its
 * parentId), a schedule (a `run:scheduled` event), an event trigger
 * (`run:triggered`), or else a person or a client (the CLI, the API, the
 * console): `manual`.
 */
export const RUN_TRIGGERS = ['manual', 'schedule', 'event', 'parent'] as const;

export type RunTrigger = (typeof RUN_TRIGGERS)[number];
