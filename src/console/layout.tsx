/**
 * @module console/layout
 * The frame of every page: the navigation, who is signed in (and the role),
 * whether live updates are flowing, and a skip link for keyboard users.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { StreamState } from './api/stream';
import { Link } from './router';
import { useSession } from './session';

const NAV = [
  { to: '/', label: 'Runs', match: (p: string) => p === '/' || p.startsWith('/runs') },
  { to: '/workflows', label: 'Workflows', match: (p: string) => p.startsWith('/workflows') },
  { to: '/schedules', label: 'Schedules', match: (p: string) => p.startsWith('/schedules') },
  { to: '/approvals', label: 'Approvals', match: (p: string) => p.startsWith('/approvals') },
  { to: '/workers', label: 'Workers', match: (p: string) => p.startsWith('/workers') },
  { to: '/stats', label: 'Metrics', match: (p: string) => p.startsWith('/stats') },
];

export function Layout(props: { path: string; children: ReactNode }) {
  const { who, stream, signOut } = useSession();
  const [live, setLive] = useState<StreamState>(stream.state);
  useEffect(() => stream.onState(setLive), [stream]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">baton</span>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={n.match(props.path) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="who">
          <span className={`live live-${live}`} title="live updates from the server">
            {live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : 'reconnecting…'}
          </span>{' '}
          {who.name} ({who.role}){' '}
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
