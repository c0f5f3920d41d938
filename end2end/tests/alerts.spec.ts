import { expect, test } from "@playwright/test";
import { seedJobs, watchErrors } from "./helpers";
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
