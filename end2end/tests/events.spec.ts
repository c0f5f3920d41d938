import { expect, test } from "@playwright/test";
import { watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  const code = await telltale.stop();
  expect(code, `telltale should exit cleanly on SIGTERM:\n${telltale.logs()}`).toBe(0);
});

async function post(event: Record<string, unknown>) {
  const res = await fetch(`${telltale.url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sourceType: "worker", level: "info", ...event }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ inserted: 1 });
}

test("an event posted over HTTP shows on /events and the filter narrows the list", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  await post({
    eventType: "execution_failed",
    level: "error",
    message: `Resolve render failed ${tag}: clip 0042 missing`,
    jobName: "nightly-proxy-render",
    runId: `run-${tag}`,
  });
  await post({
    eventType: "job.started",
    message: `ETL import began ${tag}`,
    jobName: "etl-orders",
  });

  await page.goto(`${telltale.url}/events`);
  const table = page.locator("table.events");
  await expect(table).toContainText(`Resolve render failed ${tag}: clip 0042 missing`);
  await expect(table).toContainText(`ETL import began ${tag}`);
  const rows = table.locator("tbody tr");
  const before = await rows.count();
  expect(before).toBeGreaterThanOrEqual(2);

  if (javaScriptEnabled) {
    // Hydrated: typing narrows the list in place, with no navigation.
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    // A marker on window survives only if no new document is loaded.
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    await page.locator("#event-filter").fill(`ETL import began ${tag}`);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("etl-orders");
    await expect(page.getByTestId("event-count")).toHaveText(`1 of ${before} events`);
    expect(page.url()).toContain("text=ETL");
    await page.locator("#event-filter").fill("");
    await expect(rows).toHaveCount(before);
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
  } else {
    // Server-rendered only: the same box submits as a form.
    await page.locator("#event-filter").fill(`ETL import began ${tag}`);
    await page.locator("#event-filter").press("Enter");
    await expect(page).toHaveURL(/\/events\?text=ETL/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("etl-orders");
  }
  expect(errors).toEqual([]);
});

test("the overview lists the latest events and /monitor leads to it", async ({ page }) => {
  const errors = watchErrors(page);
  const message = `overview check ${test.info().project.name} ${Date.now()}`;
  await post({ eventType: "worker.message", message });
  await page.goto(`${telltale.url}/monitor`);
  await expect(page).toHaveURL(`${telltale.url}/`);
  await expect(page.locator("h1")).toHaveText("Overview");
  await expect(page.getByTestId("latest-events").locator("tbody tr").first()).toContainText(message);
  expect(errors).toEqual([]);
});
