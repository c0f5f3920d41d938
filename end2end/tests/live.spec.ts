import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("a new event appears on an open page within 2 s, without a reload", async ({
  page,
  javaScriptEnabled,
}) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript; the server HTML is static");
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  await page.goto(`${telltale.url}/events`);
  await expect(page.locator(".live-indicator")).toHaveText("live");
  await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));

  await postBatch(telltale.url, [
    { eventType: "job.started", message: `pushed ${tag}`, jobName: "live-etl", runId: `run-${tag}` },
  ]);
  await expect(page.locator("table.events")).toContainText(`pushed ${tag}`, { timeout: 2_000 });
  expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
  expect(errors).toEqual([]);
});

test("with the stream blocked the page says so and polls", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript; the server HTML is static");
  const tag = `${test.info().project.name}-${Date.now()}`;
  await page.route("**/v1/stream", (route) => route.abort());
  await page.goto(`${telltale.url}/events`);
  await expect(page.locator(".live-indicator")).toHaveText("polling", { timeout: 10_000 });

  await postBatch(telltale.url, [
    { eventType: "job.started", message: `polled ${tag}`, jobName: "live-etl", runId: `run-${tag}` },
  ]);
  await expect(page.locator("table.events")).toContainText(`polled ${tag}`, { timeout: 8_000 });
});

test("sections the server renders stay live: local times, an opened row kept, links routed in place", async ({
  page,
  javaScriptEnabled,
}) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript; the server HTML is static");
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const job = `server-html-${tag}`;
  await postBatch(telltale.url, [
    { eventType: "job.started", message: `first ${tag}`, jobName: job, runId: `${job}-1`, metadata: { step: "one" } },
  ]);
  await page.goto(`${telltale.url}/`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.locator(".live-indicator")).toHaveText("live");
  await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));

  const latest = page.getByTestId("latest-events");
  const first = latest.locator("tr", { hasText: `first ${tag}` });
  const when = first.locator("td").first();
  // The server wrote UTC; the browser shows the viewer's zone and an age.
  await expect(when.locator("time")).toHaveAttribute("title", /UTC .*; shown in UTC[+-]\d\d:\d\d$/);
  await expect(when.locator(".age")).toContainText(/ago|just now/);
  await first.locator("summary").click();
  await expect(first.locator("details")).toHaveAttribute("open", "");

  // A new event redraws the section: the opened row stays open.
  await postBatch(telltale.url, [
    { eventType: "job.completed", message: `second ${tag}`, jobName: job, runId: `${job}-1` },
  ]);
  await expect(latest).toContainText(`second ${tag}`, { timeout: 3_000 });
  await expect(first.locator("details")).toHaveAttribute("open", "");
  await expect(when.locator(".age")).toHaveCount(1);

  // A link in the markup goes through the router: no reload.
  await latest.getByRole("link", { name: "All events" }).click();
  await expect(page).toHaveURL(`${telltale.url}/events`);
  await expect(page.locator("h1")).toHaveText("Events");
  expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
  expect(errors).toEqual([]);
});
