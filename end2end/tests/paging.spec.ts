import { expect, test, type Page } from "@playwright/test";
import { ago, postBatch, seedJobs, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// Long lists page on the server: "Older →" / "← Newer" are links carrying
// the cursor in the URL, so paging works without JavaScript, a page can be
// shared, and the back button returns to the page before.
let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

async function ids(page: Page, attribute: string): Promise<string[]> {
  return page
    .locator(`tbody tr[${attribute}]`)
    .evaluateAll((rows, a) => rows.map((r) => r.getAttribute(a) ?? ""), attribute);
}

/** Walks older twice and back, checking URL and rows each time. */
async function walk(page: Page, start: string, attribute: string, perPage: number) {
  await page.goto(start);
  const newest = await ids(page, attribute);
  expect(newest).toHaveLength(perPage);
  const older = page.getByRole("link", { name: "Older →" });
  const newer = page.getByRole("link", { name: "← Newer" });
  await expect(newer).toHaveCount(0);

  await older.click();
  await expect(page).toHaveURL(/[?&]before=\d+/);
  await expect.poll(() => ids(page, attribute)).not.toEqual(newest);
  const second = await ids(page, attribute);
  expect(second.filter((id) => newest.includes(id))).toEqual([]);
  const secondUrl = page.url();

  await older.click();
  await expect(page).toHaveURL(/[?&]newer=\d+/);
  await expect.poll(() => ids(page, attribute)).not.toEqual(second);
  const third = await ids(page, attribute);
  expect(third.filter((id) => second.includes(id) || newest.includes(id))).toEqual([]);

  await newer.click();
  await expect(page).toHaveURL(secondUrl);
  await expect.poll(() => ids(page, attribute)).toEqual(second);

  await page.goBack();
  await expect.poll(() => ids(page, attribute)).toEqual(third);
  await page.goBack();
  await expect(page).toHaveURL(secondUrl);
  await expect.poll(() => ids(page, attribute)).toEqual(second);
  // Back on the newest page (whose rows live updates may have grown).
  await newer.click();
  await expect(page).not.toHaveURL(/before=/);
  await expect(newer).toHaveCount(0);
  await expect.poll(async () => (await ids(page, attribute)).some((id) => second.includes(id))).toBe(false);
}

test("runs and events page with Older / Newer links, and the back button works", async ({ page }) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  await postBatch(
    telltale.url,
    Array.from({ length: 7 }, (_, i) => ({
      eventType: "job.started", message: `start ${i}`, jobName: `page-${tag}`, runId: `page-${tag}-${i}`,
      eventAt: ago(600 - i),
    })),
  );
  await walk(page, `${telltale.url}/runs?limit=2`, "data-run-id", 2);
  await walk(page, `${telltale.url}/events?limit=2`, "data-event-id", 2);
  expect(errors).toEqual([]);
});

test("alerts page with their filters kept", async ({ page }) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  await seedJobs(telltale.url, `${tag}-a`);
  await seedJobs(telltale.url, `${tag}-b`);
  await walk(page, `${telltale.url}/alerts?status=OPEN&limit=1`, "data-alert-id", 1);
  await expect(page).toHaveURL(/status=OPEN/);
  expect(errors).toEqual([]);
});
