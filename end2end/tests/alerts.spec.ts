import { expect, test } from "@playwright/test";
import { postBatch, seedJobs, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("open alerts come first and one closes with a reason, with or without JavaScript", async ({
  page,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const { up } = await seedJobs(telltale.url, tag);

  await page.goto(`${telltale.url}/alerts?type=FAILURE&job=${up}`);
  await expect(page).toHaveURL(/type=FAILURE/);
  const first = page.locator("table.alerts tbody tr").first();
  await expect(first).toContainText("OPEN");
  // By id: a later evaluation may open a new FAILURE for the still-failing job.
  const row = page.locator(`tr[data-alert-id="${await first.getAttribute("data-alert-id")}"]`);
  await expect(row).toContainText("exit 3: no space");

  await row.getByRole("textbox").fill(`replaced the disk ${tag}`);
  await row.getByRole("button", { name: "Close" }).click();
  await expect(row).toContainText("CLOSED");
  await expect(row).toContainText(`replaced the disk ${tag}`);
  await expect(row.getByRole("button", { name: "Close" })).toHaveCount(0);
  await expect(page).toHaveURL(/type=FAILURE/);
  expect(errors).toEqual([]);
});

test("a reason half-typed into a close form survives the live update that lists a new alert", async ({
  page,
  javaScriptEnabled,
}) => {
  test.skip(!javaScriptEnabled, "without JavaScript the page does not update itself");
  const errors = watchErrors(page);
  const tag = `${Date.now()}`;
  const failed = (job: string) => [
    { eventType: "job.started", message: "s", jobName: job, runId: `${job}-1` },
    { eventType: "job.failed", level: "error", message: "f", jobName: job, runId: `${job}-1`,
      metadata: { failure_reason: "exit 1" } },
  ];
  await postBatch(telltale.url, failed(`typing-a-${tag}`));
  // The alert opens right after the events are stored: load the page once it has.
  await expect
    .poll(async () => (await (await fetch(`${telltale.url}/v1/alerts?job=typing-a-${tag}`)).json()).alerts.length)
    .toBe(1);
  await page.goto(`${telltale.url}/alerts`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.locator(".live-indicator")).toHaveText("live");
  const row = page.locator("table.alerts tbody tr", { hasText: `typing-a-${tag}` });
  const reason = row.getByRole("textbox");
  await reason.fill("swapped the PSU, wait for");
  await expect(reason).toBeFocused();

  // Another job fails meanwhile: the list is read again and redrawn.
  await postBatch(telltale.url, failed(`typing-b-${tag}`));
  await expect(page.locator("table.alerts tbody tr", { hasText: `typing-b-${tag}` })).toHaveCount(1);
  await expect(reason).toHaveValue("swapped the PSU, wait for");
  await expect(reason).toBeFocused();
  await page.keyboard.type(" the rebuild");
  await row.getByRole("button", { name: "Close" }).click();
  await expect(row).toContainText("CLOSED");
  await expect(row).toContainText("swapped the PSU, wait for the rebuild");
  expect(errors).toEqual([]);
});
