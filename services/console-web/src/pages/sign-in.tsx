import { type FormEvent, useState } from 'react';
import { ApiError, call, type Role, type Session } from '../api';

/**
 * Sign-in: a client with the tenant's API key, an annotator with its own annotator token. The
 * secret goes to the server once; what comes back is an HttpOnly cookie holding a random session
 * id, and the form forgets the secret straight away (nothing in local or session storage).
 */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [secret, setSecret] = useState('');
  const [role, setRole] = useState<Role>('client');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    const credential = role === 'annotator' ? { annotatorToken: secret } : { apiKey: secret };
    call<Session>('POST', '/console/session', { ...credential, role }).then(
      (session) => {
        setSecret('');
        onSignedIn(session);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failure instanceof ApiError ? failure.message : String(failure));
      },
    );
  };

  return (
    <form className="sign-in" onSubmit={submit}>
      <h1>Aperture console</h1>
      <label>
        Sign in as
        <select name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
          <option value="client">client, with the tenant API key (sees raw uploads)</option>
          <option value="annotator">annotator, with an annotator token (redacted derivatives only)</option>
        </select>
      </label>
      <label>
        {role === 'annotator' ? 'Annotator token' : 'Tenant API key'}
        <input
          name="secret"
          type="password"
          autoComplete="off"
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          required
        />
      </label>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
