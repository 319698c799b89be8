/**
 * @module console/pages/run-page
 * One run: its header and actions, then the graph, the timeline, the logs
 * and the history as tabs. Loaded again whenever the stream reports a change
 * of this run, so the graph colours and the timeline move live.
 */
import { useState } from 'react';
import type { RunDetail } from '../api/types';
import { FINAL_RUN } from '../api/types';
import { EventsView } from '../run/events-view';
import { GraphView } from '../run/graph-view';
import { LogsView } from '../run/logs-view';
import { RunActions } from '../run/run-actions';
import { RunHeader } from '../run/run-header';
import { TimelineView } from '../run/timeline-view';
import { useRunEvents } from '../run/use-run-events';
import { useSession } from '../session';
import { ErrorNote } from '../ui/status';
import { Tabs } from '../ui/tabs';
import { useResource } from '../ui/use-resource';

const TABS = ['Graph', 'Timeline', 'Logs', 'History'] as const;
type Tab = (typeof TABS)[number];

export function RunPage(props: { runId: string }) {
  const { api } = useSession();
  const id = encodeURIComponent(props.runId);
  const mine = (e: { data: Record<string, unknown> }) => e.data.runId === props.runId;
  const detail = useResource(() => api.get<RunDetail>(`/api/runs/${id}`), [id], mine);
  const { events: history, refresh: refreshHistory } = useRunEvents(props.runId);
  const [tab, setTab] = useState<Tab>('Graph');
  const [step, setStep] = useState<string>();

  if (detail.error && !detail.data) {
    return (
      <>
        <h1>Run {props.runId}</h1>
        <ErrorNote error={detail.error} />
      </>
    );
  }
  if (!detail.data) return <p className="loading">Loading run…</p>;
  const d = detail.data;
  const running = !FINAL_RUN.has(d.run.status);
  const reload = () => {
    detail.reload();
    refreshHistory();
  };
  const openLogs = (stepId: string) => {
    setStep(stepId);
    setTab('Logs');
  };
  return (
    <>
      <RunHeader detail={d} events={history} />
      <RunActions detail={d} onDone={reload} />
      <Tabs tabs={TABS} current={tab} onChange={setTab} label="Run views">
        {tab === 'Graph' && <GraphView detail={d} onStep={openLogs} />}
        {tab === 'Timeline' && <TimelineView detail={d} onStep={openLogs} />}
        {tab === 'Logs' && <LogsView detail={d} running={running} step={step} onStep={setStep} />}
        {tab === 'History' && <EventsView events={history} />}
      </Tabs>
    </>
  );
}
