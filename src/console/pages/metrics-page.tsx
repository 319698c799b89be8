/**
 * @module console/pages/metrics-page
 * Metrics from the server's Prometheus endpoint, read every 5 s while the
 * page is open: runs and steps per minute, retries, queue depth over time
 * (charts), and from the histograms and counters since the server started:
 * duration percentiles and failure rate per workflow, step durations by
 * kind, schedule lag, and the runs in the store by status.
 */
import { LineChart } from '../metrics/line-chart';
import { labelValues, quantile, sum, type Sample } from '../metrics/prometheus';
import { gauge, perMinute } from '../metrics/rates';
import { useSamples } from '../metrics/use-samples';
import { Link } from '../router';
import { formatDuration } from '../ui/format';
import { TableWrap } from '../ui/table-wrap';

const seconds = (v: number | undefined) => (v === undefined ? '—' : formatDuration(v * 1000));

export function MetricsPage() {
  const { readings, error } = useSamples();
  const latest = readings.at(-1)?.samples ?? [];
  const times = readings.map((r) => r.at);
  return (
    <>
      <h1>Metrics</h1>
      <p className="muted">
        Read from <span className="mono">/metrics</span> every 5 seconds while this page is open; totals and percentiles count since the server started.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="charts">
        <LineChart
          title="Runs finished per minute"
          unit="runs/min"
          times={times}
          series={[
            { label: 'succeeded', colour: '--ok', values: perMinute(readings, 'baton_runs_finished_total', { status: 'succeeded' }) },
            { label: 'failed', colour: '--bad', values: perMinute(readings, 'baton_runs_finished_total', { status: 'failed' }) },
          ]}
        />
        <LineChart
          title="Step attempts finished per minute"
          unit="steps/min"
          times={times}
          series={[
            { label: 'all', colour: '--run', values: perMinute(readings, 'baton_steps_finished_total') },
            { label: 'retries', colour: '--wait', values: perMinute(readings, 'baton_step_retries_total') },
          ]}
        />
        <LineChart
          title="Queue depth"
          unit="steps"
          times={times}
          series={[
            { label: 'ready (waiting for a worker)', colour: '--wait', values: gauge(readings, 'baton_steps_ready') },
            { label: 'running', colour: '--run', values: gauge(readings, 'baton_steps_running') },
          ]}
        />
      </div>
      <WorkflowTable samples={latest} />
      <StepTable samples={latest} />
      <LagTable samples={latest} />
    </>
  );
}

function WorkflowTable(props: { samples: Sample[] }) {
  const s = props.samples;
  const workflows = [...new Set([...labelValues(s, 'baton_runs', 'workflow'), ...labelValues(s, 'baton_runs_finished_total', 'workflow')])];
  return (
    <section>
      <h2>Workflows</h2>
      <TableWrap label="Workflows">
        <table>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">In the store</th>
              <th scope="col">Finished here</th>
              <th scope="col">Failure rate</th>
              <th scope="col">Duration p50</th>
              <th scope="col">p90</th>
              <th scope="col">p99</th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => {
              const finished = sum(s, 'baton_runs_finished_total', { workflow: w });
              const failed = sum(s, 'baton_runs_finished_total', { workflow: w, status: 'failed' }) + sum(s, 'baton_runs_finished_total', { workflow: w, status: 'timed_out' });
              const q = (p: number) => seconds(quantile(s, 'baton_run_duration_seconds', p, { workflow: w }));
              return (
                <tr key={w}>
                  <td>
                    <Link to={`/workflows/${encodeURIComponent(w)}`}>{w}</Link>
                  </td>
                  <td>{sum(s, 'baton_runs', { workflow: w })}</td>
                  <td>{finished}</td>
                  <td>{finished === 0 ? '—' : `${Math.round((failed / finished) * 100)}%`}</td>
                  <td>{q(0.5)}</td>
                  <td>{q(0.9)}</td>
                  <td>{q(0.99)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function StepTable(props: { samples: Sample[] }) {
  const s = props.samples;
  const kinds = labelValues(s, 'baton_steps_finished_total', 'kind');
  if (kinds.length === 0) return null;
  return (
    <section>
      <h2>Step attempts</h2>
      <TableWrap label="Step attempts">
        <table>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
              <th scope="col">Retried</th>
              <th scope="col">Duration p50</th>
              <th scope="col">p95</th>
            </tr>
          </thead>
          <tbody>
            {kinds.map((k) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{sum(s, 'baton_steps_finished_total', { kind: k, status: 'succeeded' })}</td>
                <td>{sum(s, 'baton_steps_finished_total', { kind: k, status: 'failed' })}</td>
                <td>{sum(s, 'baton_steps_finished_total', { kind: k, status: 'retrying' })}</td>
                <td>{seconds(quantile(s, 'baton_step_duration_seconds', 0.5, { kind: k }))}</td>
                <td>{seconds(quantile(s, 'baton_step_duration_seconds', 0.95, { kind: k }))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function LagTable(props: { samples: Sample[] }) {
  const s = props.samples;
  const pairs = s.filter((x) => x.name === 'baton_schedule_lag_seconds_count').map((x) => x.labels);
  if (pairs.length === 0) return null;
  return (
    <section>
      <h2>Schedule lag (due time to run start)</h2>
      <TableWrap label="Schedule lag">
        <table>
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Fires</th>
              <th scope="col">p50</th>
              <th scope="col">p99</th>
            </tr>
          </thead>
          <tbody>
            {pairs.map((l) => {
              const where = { workflow: l.workflow ?? '', schedule: l.schedule ?? '' };
              return (
                <tr key={`${where.workflow}/${where.schedule}`}>
                  <td>
                    {where.workflow} / {where.schedule}
                  </td>
                  <td>{sum(s, 'baton_schedule_lag_seconds_count', where)}</td>
                  <td>{seconds(quantile(s, 'baton_schedule_lag_seconds', 0.5, where))}</td>
                  <td>{seconds(quantile(s, 'baton_schedule_lag_seconds', 0.99, where))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
