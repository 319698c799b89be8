/**
 * @module console/ui/table-wrap
 * A wide table's box: scrolls sideways on a narrow screen, and can take
 * the focus so keyboard users can scroll it too.
 */
import type { ReactNode } from 'react';

export function TableWrap(props: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={props.label}>
      {props.children}
    </div>
  );
}
