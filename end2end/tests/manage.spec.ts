// An operator manages a job's monitoring from the dashboard — declares it
// before its first run, edits its policy, pauses, resumes, retires and
// deletes it — with and without JavaScript, and every change is in the
// audit log. The job's ping URL is on its page, ready to paste.
import { expect, test } from "@playwright/test";
import { watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

async function status(name: string): Promise<{ code: number; job?: any; checkState?: string }> {
  const resp = await fetch(`${telltale.url}/v1/status/jobs/${encodeURIComponent(name)}`);
  if (resp.status !== 200) return { code: resp.status };
  const body = await resp.json();
  return { code: 200, job: body.job, checkState: body.job.checkState };
}

test("an operator declares, edits, pauses, resumes, retires and deletes a job", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const name = `managed-${test.info().project.name}-${Date.now()}`;

  await page.goto(`${telltale.url}/jobs`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.getByRole("link", { name: "Declare a job before its first run" }).click();
  await expect(page).toHaveURL(`${telltale.url}/new-job`);
  const create = page.getByTestId("new-job");
  await create.getByLabel("Name").fill(name);
  // A bad cron expression: the form names the field, and nothing is made.
  await create.getByLabel("Schedule").fill("61 * * * *");
  await create.getByRole("button", { name: "Create job" }).click();
  await expect(page.getByRole("alert")).toContainText("policy.schedule");
  expect((await status(name)).code).toBe(404);
  // The refusal is the caller's error, a 400 as over the REST API (not a
  // 500): expected here, and only here.
  expect(errors.every((e) => e.includes("HTTP 400 ") && e.includes("/api/jobs/create") || e.includes("status of 400"))).toBe(true);
  if (javaScriptEnabled) expect(errors.some((e) => e.startsWith("HTTP 400 "))).toBe(true);
  errors.length = 0;
  if (!javaScriptEnabled) {
    // Without JavaScript the refusal is a new page, the same form empty.
    await expect(page).toHaveURL(/\/new-job/);
    await create.getByLabel("Name").fill(name);
  }
  await create.getByLabel("Schedule").fill("0 2 * * *");
  await create.getByLabel("Time zone").fill("Europe/Berlin");
  await create.getByLabel("Grace (s)", { exact: true }).fill("900");
  await create.getByLabel("Tags").fill("db, nightly");
  await expect(create.getByLabel("Alert when a run fails")).toBeChecked();
  await create.getByLabel("Alert when a run is missed").uncheck();
  await create.getByRole("button", { name: "Create job" }).click();
  await expect(page).toHaveURL(`${telltale.url}/jobs/${name}`);
  await expect(page.locator("h1")).toContainText(name);
  // Its ping URL and the crontab line are there before its first run.
  await expect(page.getByTestId("ping-url")).toContainText(`${telltale.url}/ping/`);
  await expect(page.locator('[data-snippet="crontab"]')).toContainText("0 2 * * * /path/to/command.sh && curl");
  expect((await status(name)).job.policy).toMatchObject({
    schedule: "0 2 * * *",
    graceSeconds: 900,
    alertOnFailure: true,
    alertOnMiss: false,
  });

  const edit = page.getByTestId("edit-job");
  await edit.locator("summary").click();
  await edit.getByLabel("Grace (s)", { exact: true }).fill("1200");
  if (javaScriptEnabled) {
    // A run of the job starts while the form is open: the page shows it
    // live, and the form stays open with what was typed.
    const report = async (eventType: string) => {
      const res = await fetch(`${telltale.url}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          sourceType: "worker",
          level: "info",
          eventType,
          message: `${eventType} while editing`,
          jobName: name,
          runId: `${name}-run-1`,
        }),
      });
      expect(res.status).toBe(200);
    };
    await report("execution_started");
    await expect(page.locator("table.runs")).toContainText(`${name}-run-1`);
    await expect(edit.getByLabel("Grace (s)", { exact: true })).toHaveValue("1200");
    // It ends, so that the job can be deleted below (not while a run is open).
    await report("execution_completed");
    await expect(page.locator("table.runs")).toContainText("completed");
    await expect(edit.getByLabel("Grace (s)", { exact: true })).toHaveValue("1200");
  }
  await edit.getByRole("button", { name: "Save" }).click();
  await expect.poll(async () => (await status(name)).job.policy.graceSeconds).toBe(1200);
  // Only what the operator changed is theirs: the fields shown as they
  // were (failure threshold, the alert on failure) still follow producers.
  expect((await status(name)).job.managed.operatorKeys).toEqual([
    "alert_on_miss",
    "grace_seconds",
    "schedule",
    "timezone",
  ]);

  await page.getByRole("button", { name: "Pause checks" }).click();
  await expect.poll(async () => (await status(name)).checkState).toBe("PAUSED");
  await expect(page.getByRole("button", { name: "Resume checks" })).toBeVisible();
  await page.getByRole("button", { name: "Resume checks" }).click();
  await expect.poll(async () => (await status(name)).job.policy.checkEnabled).toBe(true);
  await expect(page.getByRole("button", { name: "Pause checks" })).toBeVisible();

  await page.getByRole("button", { name: /^Retire/ }).click();
  await expect(page.getByTestId("retired")).toBeVisible();
  await expect(page.getByRole("button", { name: "Pause checks" })).toHaveCount(0);
  const audit = page.getByTestId("audit");
  await expect(audit.locator("tbody tr td:nth-child(3)")).toHaveText(["retire", "resume", "pause", "edit", "create"]);
  await expect(audit.locator("tbody tr td:nth-child(2)").first()).toHaveText("local (login off)");

  const del = page.getByTestId("delete-job");
  await del.locator("summary").click();
  await del.getByLabel("Type the job's name to confirm").fill(name);
  await del.getByRole("button", { name: "Delete for good" }).click();
  await expect(page).toHaveURL(`${telltale.url}/jobs`);
  await expect.poll(async () => (await status(name)).code).toBe(404);
  expect(errors).toEqual([]);
});

test("an operator forgets a decommissioned worker", async ({ page, javaScriptEnabled }) => {
  const errors = watchErrors(page);
  const worker = `old-farm-${test.info().project.name}-${Date.now()}`;
  const sent = await fetch(`${telltale.url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      sourceType: "worker",
      level: "info",
      eventType: "worker.heartbeat",
      message: "alive",
      workerId: worker,
    }),
  });
  expect(sent.status).toBe(200);
  await page.goto(`${telltale.url}/workers`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.locator(`tr[data-worker="${worker}"]`)).toHaveCount(1);
  const form = page.getByTestId("forget-worker");
  await form.locator("summary").click();
  await form.getByLabel("Worker id").fill(worker);
  await form.getByRole("button", { name: "Forget it" }).click();
  await expect
    .poll(async () => (await fetch(`${telltale.url}/v1/workers/${encodeURIComponent(worker)}`)).status)
    .toBe(404);
  await page.goto(`${telltale.url}/workers`);
  await expect(page.locator(`tr[data-worker="${worker}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a new ping URL and a badge switch answer in place, and an open form keeps what was typed", async ({
  page,
  javaScriptEnabled,
}) => {
  const name = `upkeep-${test.info().project.name}-${Date.now()}`;
  const declared = await fetch(`${telltale.url}/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, policy: { schedule: "17 3 * * *" } }),
  });
  expect(declared.status).toBe(201);

  await page.goto(`${telltale.url}/jobs/${name}`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  const url = page.getByTestId("ping-url");
  await expect(url).toContainText(`${telltale.url}/ping/`);
  const old = (await url.textContent())!.trim();
  expect((await fetch(old)).status).toBe(200);
  const edit = page.getByTestId("edit-job");
  if (javaScriptEnabled) {
    await edit.locator("summary").click();
    await edit.getByLabel("Grace (s)", { exact: true }).fill("1234");
  }

  await page.getByRole("button", { name: /^Make a new ping URL/ }).click();
  await expect(url).not.toHaveText(old);
  await expect(url).toContainText(`${telltale.url}/ping/`);
  await expect(page.locator('[data-snippet="crontab"]')).toContainText((await url.textContent())!.trim());
  expect((await fetch(old)).status).toBe(404);

  await expect(page.getByTestId("badge-visibility")).toContainText("Private");
  await page.getByRole("button", { name: "Make the badge public" }).click();
  await expect(page.getByTestId("badge-visibility")).toContainText("Public");
  await expect(page.getByRole("button", { name: "Make the badge private" })).toBeVisible();
  expect((await status(name)).job.publicBadge).toBe(true);

  if (javaScriptEnabled) {
    // Neither answer redrew the management form: still open, still typed.
    await expect(edit).toHaveAttribute("open", "");
    await expect(edit.getByLabel("Grace (s)", { exact: true })).toHaveValue("1234");
  }
});
