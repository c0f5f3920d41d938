// What every spec needs: error watching, seeding through the public ingest
// API, and timestamps in the past.
import { expect, type Page } from "@playwright/test";

/** Collects console errors, uncaught exceptions and failed requests; a test fails on any. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()} ${res.url()}`);
  });
  return errors;
}

/** Posts events (worker, info unless they say otherwise) in one batch.
 * `headers` carries an `x-api-key` when auth is on. */
export async function postBatch(
  url: string,
  events: Record<string, unknown>[],
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${url}/v1/events/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(events.map((e) => ({ sourceType: "worker", level: "info", ...e }))),
  });
  expect(res.status).toBe(200);
}

/** RFC 3339 for `seconds` ago. */
export function ago(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString();
}

/** A job that ran two hours ago on an hourly schedule (DOWN, MISSED open) and
 * one that just failed (UP, FAILURE open); waits for the engine to say so. */
export async function seedJobs(url: string, tag: string, headers: Record<string, string> = {}) {
  const hourly = { schedule: "every 1h", grace_seconds: 60 };
  const down = `dump-${tag}`;
  const up = `thumbs-${tag}`;
  await postBatch(url, [
    { eventType: "job.started", message: "s", jobName: down, runId: `${down}-1`, eventAt: ago(7200), metadata: hourly },
    { eventType: "job.completed", message: "c", jobName: down, runId: `${down}-1`, eventAt: ago(7100), metadata: hourly },
    { eventType: "job.started", message: "s", jobName: up, runId: `${up}-1`, eventAt: ago(120) },
    { eventType: "job.completed", message: "c", jobName: up, runId: `${up}-1`, eventAt: ago(100) },
    { eventType: "job.started", message: "s", jobName: up, runId: `${up}-2`, eventAt: ago(60) },
    { eventType: "job.failed", level: "error", message: "f", jobName: up, runId: `${up}-2`, eventAt: ago(30),
      metadata: { failure_reason: "exit 3: no space" } },
  ], headers);
  await expect
    .poll(async () => {
      const res = await fetch(`${url}/v1/status/jobs/${down}`, { headers });
      return res.ok ? (await res.json()).job.checkState : null;
    })
    .toBe("DOWN");
  return { down, up };
}
