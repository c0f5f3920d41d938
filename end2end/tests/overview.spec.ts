import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// A fresh server per project, so the hour's counts are exactly ours.
let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("the overview charts the events received per minute over the last hour", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const event = (message: string) => ({ eventType: "worker.message", message, workerId: "w1" });
  await postBatch(telltale.url, [event("a"), event("b"), event("c")]);

  await page.goto(`${telltale.url}/`);
  const chart = page.getByTestId("throughput");
  await expect(chart).toContainText("3 events received in the last hour; busiest minute 3");
  await expect(chart.getByRole("img")).toHaveAttribute("aria-label", /events per minute over the last hour/);
  await expect(chart.locator("rect.bar")).toHaveCount(1);

  if (javaScriptEnabled) {
    await expect(page.locator(".live-indicator")).toHaveText("live");
    await postBatch(telltale.url, [event("d"), event("e")]);
    await expect(chart).toContainText("5 events received in the last hour", { timeout: 3_000 });
  }
  expect(errors).toEqual([]);
});
