import type Konva from 'konva';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Image as KonvaImage, Layer, Rect, Stage, Text } from 'react-konva';
import { ApiError, call, type FieldError, type Project, type Session, type Task, taskImageUrl } from '../api';
import { useFetch } from '../hooks';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Label {
  class: string;
  box?: Box;
}

/** Task types the light annotator draws; the others go to Label Studio or CVAT (export/import). */
const DRAWN = ['bbox', 'tracking'];
const SUPPORTED = ['classification', ...DRAWN];
/** The canvas box: a task's image is fitted into it, small ones enlarged (up to 4×) so they can be drawn on. */
const MAX_WIDTH = 900;
const MAX_HEIGHT = 600;
const COLOURS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#9a6324',
  '#469990',
];

/** A box from two corners, in image pixels, clamped inside the image and rounded to whole pixels. */
function boxBetween(
  a: { x: number; y: number },
  b: { x: number; y: number },
  width: number,
  height: number,
): Box {
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);
  const x1 = Math.round(clamp(Math.min(a.x, b.x), width));
  const y1 = Math.round(clamp(Math.min(a.y, b.y), height));
  const x2 = Math.round(clamp(Math.max(a.x, b.x), width));
  const y2 = Math.round(clamp(Math.max(a.y, b.y), height));
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/**
 * Lease a task, label the redacted derivative (boxes, or one class), submit. Keys: L lease,
 * 1–9 pick a class, Z undo the last label, Enter submit.
 */
export function AnnotatePage({ session }: { session: Session }) {
  const projects = useFetch<{ projects: Project[] }>('/console/api/projects');
  const [projectId, setProjectId] = useState('');
  // An annotator session is its own annotator (the server enforces it); a client names one.
  const [annotatorId, setAnnotatorId] = useState(
    session.annotatorId ?? `console-${session.tenantId.slice(-6)}`,
  );
  const [task, setTask] = useState<Task | null>(null);
  const [picture, setPicture] = useState<HTMLImageElement | null>(null);
  const [labels, setLabels] = useState<Label[]>([]);
  const [classIndex, setClassIndex] = useState(0);
  const [drawing, setDrawing] = useState<{
    start: { x: number; y: number };
    end: { x: number; y: number };
  } | null>(null);
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const chosen = projectId || projects.data?.projects[0]?.projectId || '';
  const classes = task?.schema?.classes ?? [];
  const scale = task ? Math.min(4, MAX_WIDTH / task.width, MAX_HEIGHT / task.height) : 1;

  const lease = useCallback(() => {
    setMessage('');
    setErrors([]);
    call<{ task: Task | null }>('POST', '/console/api/tasks/lease', { projectId: chosen, annotatorId }).then(
      ({ task: leased }) => {
        setTask(leased);
        setLabels([]);
        setPicture(null);
        if (!leased) setMessage('No task is waiting for this annotator.');
      },
      (failure: unknown) => setMessage(failure instanceof ApiError ? failure.message : String(failure)),
    );
  }, [chosen, annotatorId]);

  const submit = useCallback(() => {
    if (!task) return;
    call<{ outcome: string }>('POST', `/console/api/tasks/${encodeURIComponent(task.taskId)}/result`, {
      annotatorId,
      result: { labels },
    }).then(
      ({ outcome }) => {
        setMessage(`Submitted ${task.taskId}: ${outcome}.`);
        setTask(null);
        setLabels([]);
      },
      (failure: unknown) => {
        setErrors(failure instanceof ApiError ? failure.details : []);
        setMessage(failure instanceof ApiError ? failure.message : String(failure));
      },
    );
  }, [task, labels, annotatorId]);

  // The derivative, through ingest (the task's own tenant and lease are checked by annotation-router).
  useEffect(() => {
    if (!task) return;
    const element = new window.Image();
    element.onload = () => setPicture(element);
    element.onerror = () => setMessage('The task image could not be loaded.');
    element.src = taskImageUrl(task);
  }, [task]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
      if (event.key === 'l' || event.key === 'L') lease();
      else if (event.key === 'Enter') submit();
      else if (event.key === 'z' || event.key === 'Z' || event.key === 'Backspace')
        setLabels((current) => current.slice(0, -1));
      else if (/^[1-9]$/.test(event.key) && Number(event.key) <= classes.length) {
        const index = Number(event.key) - 1;
        setClassIndex(index);
        if (task?.taskType === 'classification') setLabels([{ class: classes[index]! }]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [lease, submit, classes, task]);

  const pointer = (event: Konva.KonvaEventObject<MouseEvent>) => {
    const position = event.target.getStage()?.getPointerPosition();
    return position ? { x: position.x / scale, y: position.y / scale } : null;
  };
  const draws = task !== null && DRAWN.includes(task.taskType);
  const current = useMemo(
    () => (drawing && task ? boxBetween(drawing.start, drawing.end, task.width, task.height) : null),
    [drawing, task],
  );

  return (
    <section>
      <h1>Annotate</h1>
      <div className="filters">
        <select aria-label="project" value={chosen} onChange={(event) => setProjectId(event.target.value)}>
          {projects.data?.projects.map((project) => (
            <option key={project.projectId} value={project.projectId}>
              {project.name} ({project.projectId})
            </option>
          ))}
        </select>
        <input
          aria-label="annotator"
          value={annotatorId}
          readOnly={session.annotatorId !== undefined}
          onChange={(event) => setAnnotatorId(event.target.value)}
        />
        <button type="button" onClick={lease}>
          Lease a task (L)
        </button>
        <button type="button" onClick={submit} disabled={!task}>
          Submit (Enter)
        </button>
        <span className="muted">1–9 class · drag to draw · Z undo</span>
      </div>
      {message && (
        <p
          className={errors.length > 0 || message.startsWith('Submitted') === false ? 'error' : 'ok'}
          role="status"
          data-testid="annotate-message"
        >
          {message}
        </p>
      )}
      {errors.map((error) => (
        <p key={error.field + error.message} className="error">
          {error.field} {error.message}
        </p>
      ))}
      {task && (
        <div data-testid="task" data-task={task.taskId}>
          <p>
            Task <code>{task.taskId}</code> ({task.taskType}, {task.kind}) on image{' '}
            <code>{task.imageId}</code>, {task.width}×{task.height}
          </p>
          {!SUPPORTED.includes(task.taskType) && (
            <p className="error">
              {task.taskType} tasks are not drawn here: export them to Label Studio or CVAT and import the
              results.
            </p>
          )}
          <div className="classes">
            {classes.map((name, index) => (
              <button
                key={name}
                type="button"
                className={index === classIndex ? 'active' : ''}
                style={{ borderColor: COLOURS[index % COLOURS.length] }}
                onClick={() => {
                  setClassIndex(index);
                  if (task.taskType === 'classification') setLabels([{ class: name }]);
                }}
              >
                {index + 1}. {name}
              </button>
            ))}
          </div>
          <Stage
            width={Math.round(task.width * scale)}
            height={Math.round(task.height * scale)}
            scaleX={scale}
            scaleY={scale}
            className="canvas"
            onMouseDown={(event) => {
              const at = pointer(event);
              if (draws && at) setDrawing({ start: at, end: at });
            }}
            onMouseMove={(event) => {
              const at = pointer(event);
              if (drawing && at) setDrawing({ ...drawing, end: at });
            }}
            onMouseUp={() => {
              if (current && current.width > 1 && current.height > 1 && classes[classIndex])
                setLabels((existing) => [...existing, { class: classes[classIndex]!, box: current }]);
              setDrawing(null);
            }}
          >
            <Layer>
              {picture && <KonvaImage image={picture} width={task.width} height={task.height} />}
              {labels.map((label, index) =>
                label.box ? (
                  <Rect
                    key={index}
                    {...label.box}
                    stroke={COLOURS[classes.indexOf(label.class) % COLOURS.length]}
                    strokeWidth={2 / scale}
                  />
                ) : null,
              )}
              {labels.map((label, index) =>
                label.box ? (
                  <Text
                    key={`t${index}`}
                    x={label.box.x + 3}
                    y={label.box.y + 3}
                    text={label.class}
                    fontSize={14 / scale}
                    fill="#fff"
                  />
                ) : null,
              )}
              {current && <Rect {...current} stroke="#ffeb3b" dash={[6, 4]} strokeWidth={2 / scale} />}
            </Layer>
          </Stage>
          <ol className="labels" data-testid="labels">
            {labels.map((label, index) => (
              <li key={index}>
                {label.class}
                {label.box && ` at ${label.box.x},${label.box.y} ${label.box.width}×${label.box.height}`}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
