import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, call, type FieldError, type Project, type Session } from '../api';
import { useFetch } from '../hooks';
import { policyFields, policyFromFields, type PolicyField } from '../policy-form';
import { hrefOf } from '../routes';

/** The tenant's projects, and one project's policy as a form the API validates. */
export function ProjectsPage({ projectId, session }: { projectId?: string | undefined; session: Session }) {
  const [reload, setReload] = useState(0);
  const list = useFetch<{ projects: Project[] }>('/console/api/projects', reload);
  const [name, setName] = useState('');
  const [error, setError] = useState('');

  const create = (event: FormEvent) => {
    event.preventDefault();
    call<Project>('POST', '/v1/projects', { name }).then(
      (project) => {
        setName('');
        setReload((n) => n + 1);
        window.location.hash = hrefOf({ page: 'projects', projectId: project.projectId });
      },
      (failure: unknown) => setError(failure instanceof ApiError ? failure.message : String(failure)),
    );
  };

  return (
    <section className="projects">
      <div>
        <h1>Projects</h1>
        <ul className="list">
          {list.data?.projects.map((project) => (
            <li key={project.projectId} className={project.projectId === projectId ? 'active' : ''}>
              <a href={hrefOf({ page: 'projects', projectId: project.projectId })}>{project.name}</a>{' '}
              <span className="muted">{project.projectId}</span>
            </li>
          ))}
        </ul>
        {session.role === 'client' && (
          <form onSubmit={create} className="inline">
            <input
              value={name}
              onChange={(event) => setName(event.target.value)}
              placeholder="new project name"
              required
            />
            <button type="submit">Create</button>
          </form>
        )}
        {error && <p className="error">{error}</p>}
      </div>
      {projectId && (
        <PolicyEditor key={projectId} projectId={projectId} readOnly={session.role !== 'client'} />
      )}
    </section>
  );
}

function PolicyEditor({ projectId, readOnly }: { projectId: string; readOnly: boolean }) {
  const project = useFetch<Project>(`/v1/projects/${encodeURIComponent(projectId)}`);
  const [fields, setFields] = useState<PolicyField[]>([]);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState('');

  useEffect(() => {
    if (project.data) setFields(policyFields(project.data.policy));
  }, [project.data]);

  const set = (path: string, value: string) =>
    setFields((current) => current.map((field) => (field.path === path ? { ...field, value } : field)));

  const save = (event: FormEvent) => {
    event.preventDefault();
    const parsed = policyFromFields(fields);
    if (parsed.errors.length > 0) {
      setErrors(parsed.errors);
      setMessage('Fix the fields marked below.');
      return;
    }
    call<Project>('PUT', `/v1/projects/${encodeURIComponent(projectId)}/policy`, parsed.policy).then(
      (saved) => {
        setFields(policyFields(saved.policy));
        setErrors([]);
        setMessage(`Saved at ${new Date(saved.updatedAt).toLocaleTimeString()}.`);
      },
      (failure: unknown) => {
        if (failure instanceof ApiError) {
          // The API names a policy field from the request body's root ("policy.quality.maxBlurWidth").
          setErrors(
            failure.details.map((error) => ({ ...error, field: error.field.replace(/^policy\./, '') })),
          );
          setMessage(failure.message);
        } else setMessage(String(failure));
      },
    );
  };

  if (project.error) return <p className="error">{project.error.message}</p>;
  if (!project.data) return <p className="muted">Loading…</p>;
  const sections = [...new Set(fields.map((field) => field.section))];
  const errorOf = (path: string) =>
    errors.filter((error) => error.field === path || error.field.startsWith(`${path}.`));

  return (
    <form className="policy" onSubmit={save} data-testid="policy-form">
      <h2>
        {project.data.name} <span className="muted">{projectId}</span>{' '}
        <a href={hrefOf({ page: 'report', projectId })}>report</a>
      </h2>
      {message && (
        <p className={errors.length > 0 ? 'error' : 'ok'} role="status" data-testid="policy-message">
          {message}
        </p>
      )}
      {errors
        .filter(
          (error) =>
            !fields.some((field) => error.field === field.path || error.field.startsWith(`${field.path}.`)),
        )
        .map((error) => (
          <p key={error.field} className="error">
            {error.field} {error.message}
          </p>
        ))}
      {sections.map((section) => (
        <fieldset key={section}>
          <legend>{section}</legend>
          {fields
            .filter((field) => field.section === section)
            .map((field) => (
              <label key={field.path} className={errorOf(field.path).length > 0 ? 'invalid' : ''}>
                <span>{field.name}</span>
                {field.kind === 'boolean' ? (
                  <input
                    type="checkbox"
                    name={field.path}
                    checked={field.value === 'true'}
                    disabled={readOnly}
                    onChange={(event) => set(field.path, String(event.target.checked))}
                  />
                ) : field.kind === 'json' ? (
                  <textarea
                    name={field.path}
                    value={field.value}
                    disabled={readOnly}
                    onChange={(event) => set(field.path, event.target.value)}
                  />
                ) : (
                  <input
                    type="text"
                    inputMode={field.kind === 'number' ? 'decimal' : 'text'}
                    name={field.path}
                    value={field.value}
                    disabled={readOnly}
                    onChange={(event) => set(field.path, event.target.value)}
                  />
                )}
                {errorOf(field.path).map((error) => (
                  <em key={error.field + error.message} className="field-error" data-field={error.field}>
                    {error.message}
                  </em>
                ))}
              </label>
            ))}
        </fieldset>
      ))}
      {!readOnly && <button type="submit">Save policy</button>}
    </form>
  );
}
