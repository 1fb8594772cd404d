// The progress of a multi-step seller action: each task with its state, detail and, for
// uploads, a progress bar. Screen readers hear the changes (role="status").
import type { Task } from "./publish.ts";

const STATE_WORDS: Record<Task["status"], string> = { waiting: "to do", active: "in progress", done: "done", failed: "failed" };

export function TaskList({ tasks, label }: { tasks: (Omit<Task, "key"> & { key: string })[]; label: string }) {
  return (
    <div role="status" aria-live="polite">
    <ol className="steps tasks" aria-label={label}>
      {tasks.map((t) => (
        <li key={t.key} className={t.status === "waiting" ? "" : t.status} data-task={t.key} data-status={t.status}>
          <span>{t.label}</span> <span className="sr-only">({STATE_WORDS[t.status]})</span>
          {t.progress !== undefined && t.status === "active" ? (
            <progress max={1} value={t.progress} aria-label={`${t.label}: ${Math.round(t.progress * 100)} %`} />
          ) : null}
          {t.detail ? <div className="muted task-detail">{t.detail}</div> : null}
        </li>
      ))}
    </ol>
    </div>
  );
}
