/**
 * @module console/app
 * Signs in (token from the link, storage or the form; checked with
 * GET /api/whoami), then shows the page the path names inside the layout.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Api, ApiError } from './api/client';
import { EventStream } from './api/stream';
import type { WhoAmI } from './api/types';
import { Layout } from './layout';
import { ApprovalsPage } from './pages/approvals-page';
import { MetricsPage } from './pages/metrics-page';
import { NotFoundPage } from './pages/not-found-page';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import { SchedulesPage } from './pages/schedules-page';
import { WorkflowPage } from './pages/workflow-page';
import { WorkersPage } from './pages/workers-page';
import { WorkflowsPage } from './pages/workflows-page';
import { useLocation } from './router';
import { SessionContext, storeToken, takeToken, type Session } from './session';
import { SignIn } from './sign-in';

type Auth = { state: 'out'; problem?: string } | { state: 'checking'; token: string } | { state: 'in'; token: string; who: WhoAmI };

export function App() {
  const [auth, setAuth] = useState<Auth>(() => {
    const token = takeToken();
    return token ? { state: 'checking', token } : { state: 'out' };
  });

  useEffect(() => {
    if (auth.state !== 'checking') return;
    let live = true;
    new Api(auth.token)
      .get<WhoAmI>('/api/whoami')
      .then((who) => live && setAuth({ state: 'in', token: auth.token, who }))
      .catch((error: unknown) => {
        if (!live) return;
        const refused = error instanceof ApiError && error.status === 401;
        if (refused) storeToken(null);
        setAuth({ state: 'out', problem: refused ? 'This token was refused: it is not one this server issued, or it was revoked.' : (error as Error).message });
      });
    return () => {
      live = false;
    };
  }, [auth]);

  if (auth.state === 'out') {
    return (
      <SignIn
        problem={auth.problem}
        onToken={(token) => {
          storeToken(token);
          setAuth({ state: 'checking', token });
        }}
      />
    );
  }
  if (auth.state === 'checking') return <p className="loading">Signing in…</p>;
  return (
    <SignedIn
      token={auth.token}
      who={auth.who}
      signOut={() => {
        storeToken(null);
        setAuth({ state: 'out' });
      }}
      expired={() => {
        storeToken(null);
        setAuth({ state: 'out', problem: 'The server no longer accepts this token (it was revoked). Sign in with another one.' });
      }}
    />
  );
}

function SignedIn(props: { token: string; who: WhoAmI; signOut: () => void; expired: () => void }) {
  const { token, who, signOut, expired } = props;
  // Read through a ref: the callbacks change at each render of App, the client and stream must not.
  const expiredRef = useRef(expired);
  expiredRef.current = expired;
  const stream = useMemo(() => new EventStream(token, () => expiredRef.current()), [token]);
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, [stream]);
  const api = useMemo(() => new Api(token, () => expiredRef.current()), [token]);
  const session = useMemo<Session>(() => ({ api, stream, who, signOut }), [api, stream, who, signOut]);
  const { path } = useLocation();
  return (
    <SessionContext.Provider value={session}>
      <Layout path={path}>{page(path)}</Layout>
    </SessionContext.Provider>
  );
}

function page(path: string) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] === 'runs' && parts.length === 1)) return <RunsPage />;
  if (parts[0] === 'runs' && parts.length === 2) return <RunPage key={parts[1]} runId={parts[1] as string} />;
  if (parts[0] === 'workflows' && parts.length === 1) return <WorkflowsPage />;
  if (parts[0] === 'workflows' && parts.length === 2) return <WorkflowPage key={parts[1]} name={parts[1] as string} />;
  if (parts[0] === 'schedules' && parts.length === 1) return <SchedulesPage />;
  if (parts[0] === 'approvals' && parts.length === 1) return <ApprovalsPage />;
  if (parts[0] === 'workers' && parts.length === 1) return <WorkersPage />;
  // /metrics is the server's Prometheus endpoint; the console's page of it is /stats.
  if (parts[0] === 'stats' && parts.length === 1) return <MetricsPage />;
  return <NotFoundPage path={path} />;
}
