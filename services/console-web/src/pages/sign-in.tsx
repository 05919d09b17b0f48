import { type FormEvent, useState } from 'react';
import { ApiError, call, type Role, type Session } from '../api';

/**
 * Sign-in with the tenant's API key. The key goes to the server once and comes back only as an
 * HttpOnly cookie; the form forgets it straight away (nothing in local or session storage).
 */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [role, setRole] = useState<Role>('client');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    call<Session>('POST', '/console/session', { apiKey, role }).then(
      (session) => {
        setApiKey('');
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
        Tenant API key
        <input
          name="apiKey"
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
          required
        />
      </label>
      <label>
        Sign in as
        <select name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
          <option value="client">client (sees raw uploads)</option>
          <option value="annotator">annotator (redacted derivatives only)</option>
        </select>
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
