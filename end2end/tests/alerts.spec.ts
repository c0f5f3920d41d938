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
  const row = page.locator("table.alerts tbody tr").first();
  await expect(row).toContainText("OPEN");
  await expect(row).toContainText("exit 3: no space");

  await row.getByRole("textbox").fill(`replaced the disk ${tag}`);
  await row.getByRole("button", { name: "Close" }).click();
  await expect(row).toContainText("CLOSED");
  await expect(row).toContainText(`replaced the disk ${tag}`);
  await expect(row.getByRole("button", { name: "Close" })).toHaveCount(0);
  await expect(page).toHaveURL(/type=FAILURE/);
  expect(errors).toEqual([]);
});
