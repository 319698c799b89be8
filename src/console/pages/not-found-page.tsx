/**
 * @module console/pages/not-found-page
 * A path the console has no page for.
 */
import { Link } from '../router';

export function NotFoundPage(props: { path: string }) {
  return (
    <>
      <h1>Not found</h1>
      <p>
        The console has no page at <span className="mono">{props.path}</span>. <Link to="/">Go to the runs</Link>.
      </p>
    </>
  );
}
