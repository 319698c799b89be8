/**
 * @module console/ui/status
 * A status as a labelled badge: a word (never colour alone) on a colour.
 */

export function Status(props: { value: string }) {
  return <span className={`status status-${props.value}`}>{props.value.replace('_', ' ')}</span>;
}

export function ErrorNote(props: { error: Error | undefined }) {
  if (!props.error) return null;
  return (
    <p className="error" role="alert">
      {props.error.message}
    </p>
  );
}
