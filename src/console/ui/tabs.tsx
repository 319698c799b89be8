/**
 * @module console/ui/tabs
 * Tabs as the ARIA pattern has them: a tablist of buttons (arrow keys move
 * between them), and the panel of the current one.
 */
import type { KeyboardEvent, ReactNode } from 'react';

export function Tabs<T extends string>(props: { tabs: readonly T[]; current: T; onChange: (t: T) => void; label: string; children: ReactNode }) {
  const { tabs, current, onChange } = props;
  const slug = (t: string) => `tab-${t.toLowerCase()}`;
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(current);
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : undefined;
    if (next === undefined) return;
    e.preventDefault();
    onChange(next);
    document.getElementById(slug(next))?.focus();
  };
  return (
    <section className="tabs">
      <div role="tablist" aria-label={props.label} onKeyDown={onKey}>
        {tabs.map((t) => (
          <button key={t} id={slug(t)} type="button" role="tab" aria-selected={t === current} aria-controls="tab-panel" tabIndex={t === current ? 0 : -1} onClick={() => onChange(t)}>
            {t}
          </button>
        ))}
      </div>
      <div id="tab-panel" role="tabpanel" aria-labelledby={slug(current)}>
        {props.children}
      </div>
    </section>
  );
}
