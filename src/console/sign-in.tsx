/**
 * @module console/sign-in
 * The sign-in form: a token pasted by hand (the server prints the first admin
 * token at its first start; `baton token create` makes more).
 */
import { useState, type FormEvent } from 'react';

export function SignIn(props: { problem?: string | undefined; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim() !== '') props.onToken(token.trim());
  };
  return (
    <main className="sign-in">
      <h1>baton</h1>
      <form onSubmit={submit}>
        <p>
          Sign in with an API token. The server prints an admin token and a link at its first start; <code>baton token create --role viewer</code>{' '}
          makes more.
        </p>
        {props.problem && (
          <p className="error" role="alert">
            {props.problem}
          </p>
        )}
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} placeholder="baton_…" />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
