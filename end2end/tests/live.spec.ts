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
