import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { type FormEvent, useState } from 'react';
import { ApiError, type Batch, call, type Project, type Session } from '../api';
import { useEventStream, useFetch } from '../hooks';
import { hrefOf } from '../routes';
import { Counts } from './counts';

const column = createColumnHelper<Batch>();
const columns = [
  column.accessor('batchId', {
    header: 'Batch',
    cell: (info) => <a href={hrefOf({ page: 'batch', batchId: info.getValue() })}>{info.getValue()}</a>,
  }),
  column.accessor('projectId', { header: 'Project' }),
  column.accessor('state', {
    header: 'State',
    cell: (info) => <span className={`state ${info.getValue()}`}>{info.getValue()}</span>,
  }),
  column.display({ id: 'counts', header: 'Progress', cell: (info) => <Counts batch={info.row.original} /> }),
  column.accessor('createdAt', {
    header: 'Opened',
    cell: (info) => new Date(info.getValue()).toLocaleString(),
  }),
];

/** The tenant's newest batches, live over server-sent events. */
export function BatchesPage({ session }: { session: Session }) {
  const stream = useEventStream<{ batches: Batch[] }>('/console/api/batches/events');
  const batches = stream.data?.batches ?? [];
  const table = useReactTable({
    data: batches,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.batchId,
  });

  return (
    <section>
      <h1>
        Batches{' '}
        <span className={`live ${stream.live ? 'on' : ''}`}>{stream.live ? 'live' : 'connecting…'}</span>
      </h1>
      {stream.failure && <p className="error">{stream.failure}</p>}
      {session.role === 'client' && <Upload />}
      <table className="grid" data-testid="batches">
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id}>{flexRender(header.column.columnDef.header, header.getContext())}</th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id} data-batch={row.id}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {stream.data && batches.length === 0 && <p className="muted">No batch yet.</p>}
    </section>
  );
}

/** A new batch from files picked here: open, upload (the public API), close. */
function Upload() {
  const projects = useFetch<{ projects: Project[] }>('/console/api/projects');
  const [projectId, setProjectId] = useState('');
  const [files, setFiles] = useState<FileList | null>(null);
  const [status, setStatus] = useState('');
  const chosen = projectId || projects.data?.projects[0]?.projectId || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!files || files.length === 0 || !chosen) return;
    try {
      const batch = await call<{ batchId: string }>('POST', '/v1/batches', { projectId: chosen });
      // The API takes at most 100 files per request.
      const list = [...files];
      for (let at = 0; at < list.length; at += 100) {
        const form = new FormData();
        for (const file of list.slice(at, at + 100)) form.append('file', file, file.name);
        setStatus(`uploading ${Math.min(at + 100, list.length)} of ${list.length}…`);
        await call('POST', `/v1/batches/${batch.batchId}/images`, form);
      }
      await call('POST', `/v1/batches/${batch.batchId}/close`);
      setStatus(`batch ${batch.batchId}: ${list.length} files uploaded`);
    } catch (error) {
      setStatus(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));
    }
  };

  return (
    <form className="upload" onSubmit={(event) => void submit(event)}>
      <select value={chosen} onChange={(event) => setProjectId(event.target.value)} aria-label="project">
        {projects.data?.projects.map((project) => (
          <option key={project.projectId} value={project.projectId}>
            {project.name} ({project.projectId})
          </option>
        ))}
      </select>
      <input type="file" multiple accept="image/*" onChange={(event) => setFiles(event.target.files)} />
      <button type="submit" disabled={!files || !chosen}>
        Upload as a new batch
      </button>
      <span className="muted">{status}</span>
    </form>
  );
}
