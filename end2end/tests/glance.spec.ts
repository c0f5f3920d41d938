// What an operator reads at a glance: a failing job is never green, the
// whole log is searchable by the API's filters, every payload is readable,
// a new install says how to start, and the settings are one link away.
import { execSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { ago, postBatch, seedJobs, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("a job whose last run failed reads FAILING on the list, its page, the counts and its badge", async ({
  page,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const { down, up } = await seedJobs(telltale.url, tag);
  await expect
    .poll(async () => (await (await fetch(`${telltale.url}/v1/status/jobs/${up}`)).json()).job.health)
    .toBe("FAILING");

  await page.goto(`${telltale.url}/jobs?text=${tag}`);
  const failing = page.locator(`tr[data-job="${up}"]`);
  await expect(failing).toHaveAttribute("data-health", "FAILING");
  await expect(failing.locator("td").first()).toHaveText("✗ FAILING");
  await expect(failing).not.toContainText("✓ UP");
  await expect(failing).toHaveClass(/row-down/);
  await expect(page.locator(`tr[data-job="${down}"] td`).first()).toContainText("✕ DOWN");
  await expect(page.getByTestId("job-count")).toHaveText("2 jobs: 1 FAILING, 1 DOWN, 0 LATE");
  // The run strip: a symbol per run, oldest first, its time on hover.
  const strip = failing.locator(".run-strip");
  await expect(strip).toHaveAttribute("aria-label", "last 2 runs, 1 failed");
  await expect(strip.locator("span")).toHaveText(["✓", "✗"]);
  await expect(strip.locator("span").last()).toHaveAttribute("title", /^failed: \d{4}-\d\d-\d\d .* UTC, /);

  await failing.getByRole("link", { name: up, exact: true }).click();
  await expect(page.locator("h1")).toContainText("✗ FAILING");

  await page.goto(`${telltale.url}/`);
  await expect(page.locator('[data-count="FAILING"]')).toHaveClass(/alarm/);
  await expect(page.locator('[data-count="FAILING"] dd')).not.toHaveText("0");
  // No scheduler ever sent a heartbeat: no box for it.
  await expect(page.locator('[data-count="scheduler"]')).toHaveCount(0);

  const badge = await (await fetch(`${telltale.url}/badge/${up}.json`)).json();
  expect(badge).toMatchObject({ message: "FAILING", color: "red" });
  expect(errors).toEqual([]);
});

test("the events form filters the whole log by the API's names, and payloads open in place", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const job = `ingest-${tag}`;
  await postBatch(telltale.url, [
    {
      eventType: "job.failed",
      level: "error",
      message: `disk full ${tag}`,
      jobName: job,
      runId: `${job}-1`,
      eventId: `ev-${tag}`,
      scriptPath: "/opt/etl/load.sh",
      eventAt: ago(5),
      metadata: { table: "orders", rows: 1200 },
    },
    // A job whose name contains the other's: the filter is exact.
    { eventType: "job.started", message: `other ${tag}`, jobName: `${job}-eu`, eventAt: ago(4) },
  ]);

  await page.goto(`${telltale.url}/events`);
  await page.getByLabel("Job", { exact: true }).fill(job);
  await page.getByLabel("Level").selectOption("error");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/job=ingest-.*&.*level=error/);
  const rows = page.locator("table.events tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`disk full ${tag}`);

  const details = rows.first().locator("details.event-details");
  await expect(details.getByTestId("metadata")).toBeHidden();
  await details.locator("summary").click();
  await expect(details.getByTestId("metadata")).toBeVisible();
  await expect(details.getByTestId("metadata")).toContainText('"table": "orders"');
  await expect(details).toContainText(`ev-${tag}`);
  await expect(details).toContainText("/opt/etl/load.sh");

  // The job page's link asks for the job itself.
  await page.goto(`${telltale.url}/jobs/${job}`);
  await page.getByRole("link", { name: "Events of this job" }).click();
  await expect(page).toHaveURL(new RegExp(`/events\\?job=${job}$`));
  await expect(rows).toHaveCount(1);

  // The run page shows the run's merged metadata.
  await page.goto(`${telltale.url}/runs/${job}-1`);
  await expect(page.getByTestId("metadata").first()).toContainText('"rows": 1200');
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("the settings are one link away when login is off", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${telltale.url}/`);
  await page.locator("nav").getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(`${telltale.url}/settings`);
  await expect(page.locator("h1")).toHaveText("Settings");
  expect(errors).toEqual([]);
});

test("a new install shows how to send the first event; the snippet works as shown", async ({
  page,
  javaScriptEnabled,
}) => {
  const fresh = await startTelltale();
  try {
    const errors = watchErrors(page);
    await page.goto(`${fresh.url}/`);
    const welcome = page.getByTestId("welcome");
    await expect(welcome).toBeVisible();
    const curl = await page.getByTestId("welcome-curl").innerText();
    expect(curl).toContain(`curl -s ${fresh.url}/v1/events`);
    await expect(page.getByTestId("welcome-run")).toContainText(`TELLTALE_URL=${fresh.url} telltale run`);
    // Hydrated, the page must be listening before the event is sent.
    if (javaScriptEnabled) await expect(page.locator(".live-indicator")).toHaveText("live");
    // Run exactly what the page shows.
    const answer = execSync(curl, { shell: "/bin/sh" }).toString();
    expect(JSON.parse(answer)).toMatchObject({ inserted: 1 });
    if (javaScriptEnabled) {
      // Live: the welcome goes without a reload.
      await expect(welcome).toHaveCount(0);
    } else {
      await page.reload();
      await expect(welcome).toHaveCount(0);
    }
    await expect(page.locator("table.events")).toContainText("hello from curl");
    expect(errors).toEqual([]);
  } finally {
    expect(await fresh.stop(), fresh.logs()).toBe(0);
  }
});

test("maintenance windows are listed, added and ended from the settings", async ({ page }) => {
  const errors = watchErrors(page);
  const reason = `NAS firmware ${test.info().project.name} ${Date.now()}`;
  const utc = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 16);
  await page.goto(`${telltale.url}/settings`);
  const form = page.locator("form.maintenance-form");
  await form.getByLabel("Reason").fill(reason);
  await form.getByLabel("From (UTC)").fill(utc(-60_000));
  await form.getByLabel("To (UTC)").fill(utc(3_600_000));
  await form.getByRole("button", { name: "Add window" }).click();
  const row = page.locator("table.maintenance tr", { hasText: reason });
  await expect(row).toContainText("active until");
  await expect(row).toContainText("every job");
  // The API sees the same window.
  const listed = await (await fetch(`${telltale.url}/v1/maintenance-windows`)).json();
  expect(listed.windows.some((w: { reason: string }) => w.reason === reason)).toBe(true);

  await row.getByRole("button", { name: "End and remove" }).click();
  await expect(page.locator("table.maintenance tr", { hasText: reason })).toHaveCount(0);
  expect(errors).toEqual([]);
});
