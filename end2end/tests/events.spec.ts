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
  await post({
    eventType: "job.failed",
    level: "error",
    message: `ÉCHEC de l'export ${tag}`,
    jobName: "export-fr",
  });

  await page.goto(`${telltale.url}/events`);
  const table = page.locator("table.events");
  await expect(table).toContainText(`Resolve render failed ${tag}: clip 0042 missing`);
  await expect(table).toContainText(`ETL import began ${tag}`);
  // Rows the filter leaves out are hidden, not removed: count what shows.
  const rows = table.locator("tbody tr:visible");
  const before = await rows.count();
  expect(before).toBeGreaterThanOrEqual(3);

  if (javaScriptEnabled) {
    // Hydrated: typing narrows the list in place, with no navigation.
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    // A marker on window survives only if no new document is loaded.
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    // A row opened before the filter changes stays open, on its own event.
    const etl = table.locator("tbody tr", { hasText: `ETL import began ${tag}` });
    await etl.locator("details.event-details summary").click();
    await page.locator("#event-filter").fill(`ETL import began ${tag}`);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("etl-orders");
    await expect(page.getByTestId("event-count")).toHaveText(`1 of ${before} events`);
    expect(page.url()).toContain("text=ETL");
    // Case folds beyond ASCII, as the API's text filter does.
    await page.locator("#event-filter").fill(`échec de l'export ${tag}`);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("export-fr");
    await page.locator("#event-filter").fill("");
    await expect(rows).toHaveCount(before);
    await expect(etl.locator("details.event-details")).toHaveAttribute("open", "");
    await expect(table.locator("details.event-details[open]")).toHaveCount(1);
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
  } else {
    // Server-rendered only: the same box submits as a form.
    await page.locator("#event-filter").fill(`ETL import began ${tag}`);
    await page.locator("#event-filter").press("Enter");
    await expect(page).toHaveURL(/\/events\?.*\btext=ETL/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("etl-orders");
    await page.locator("#event-filter").fill(`échec de l'export ${tag}`);
    await page.locator("#event-filter").press("Enter");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("export-fr");
  }
  expect(errors).toEqual([]);
});

test("the search finds an event older than the loaded page, with and without JavaScript", async ({ page }) => {
  const errors = watchErrors(page);
  const word = `needle${test.info().project.name.replace(/\W/g, "")}${Date.now()}`;
  // The one event with the word, then 250 newer ones: it is not among the
  // 200 the page loads, so only the server's search can find it.
  await post({ eventType: "execution_failed", message: `disk full on nas-07 (${word})`, jobName: "archive" });
  const res = await fetch(`${telltale.url}/v1/events/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      Array.from({ length: 250 }, (_, i) => ({
        sourceType: "worker",
        level: "info",
        eventType: "progress_update",
        message: `frame ${i} rendered`,
        jobName: "archive",
      })),
    ),
  });
  expect(res.status).toBe(200);
  await expect
    .poll(async () => (await (await fetch(`${telltale.url}/v1/events?q=${word}`)).json()).events.length)
    .toBe(1);

  await page.goto(`${telltale.url}/events`);
  const table = page.locator("table.events");
  await expect(table).toContainText("frame 249 rendered");
  await expect(table).not.toContainText(word);
  await page.locator("#event-search").fill(`DISK ${word}`);
  await page.locator("#event-search").press("Enter");
  await expect(page).toHaveURL(/\/events\?q=DISK/);
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table).toContainText(`disk full on nas-07 (${word})`);
  await expect(page.locator("#event-search")).toHaveValue(`DISK ${word}`);

  // A search with no words is refused by name, not answered with everything.
  await page.goto(`${telltale.url}/events?q=${encodeURIComponent("***")}`);
  await expect(page.locator("main")).toContainText("q: the search has no letters or digits to search for");
  expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
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
