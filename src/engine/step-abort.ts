/**
 * @module engine/step-abort
 * What aborts one step's attempt (its lease lost, its run cancelled, a claim
 * given back), made cheap for the common case: a step that ends without
 * being aborted and never reads an AbortSignal. A Node AbortController per
 * step, with an abort listener added and removed for its wait for a slot and
 * another for its call, cost about a fifth of a worker's CPU per no-op step.
 * Here listeners are a plain list, and the AbortSignal is made only when
 * something asks for it (a function reading `ctx.signal`, a shell command, a
 * timeout), already aborted if the abort came first.
 */

/** The part of an AbortSignal that waiting for an abort needs; StepAbort and AbortSignal both have it. */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class StepAbort implements Abortable {
  #aborted = false;
  #reason: unknown;
  #controller: AbortController | undefined;
  #listeners: Array<() => void> | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** An AbortSignal that follows this abort, made on first use. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts once (later calls do nothing): the signal if made, then each listener once. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  /** Called once, on abort (every listener is once). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.#aborted) (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.#listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.#listeners?.splice(i, 1);
  }
}
