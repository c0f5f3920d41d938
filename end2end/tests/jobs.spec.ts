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

test("DOWN jobs come first, the state filter lives in the URL, a job shows its policy", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const { down, up } = await seedJobs(telltale.url, tag);

  await page.goto(`${telltale.url}/jobs?text=${tag}`);
  const rows = page.locator("table.jobs tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toHaveAttribute("data-job", down);
  await expect(rows.first()).toHaveClass(/row-down/);
  await expect(rows.first()).toContainText("DOWN");
  await expect(page.locator(`tr[data-job="${up}"] svg.sparkline`)).toHaveCount(1);

  // Times: UTC from the server; the viewer's zone and an age once hydrated.
  const time = rows.first().locator("time").first();
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "");
    await expect(rows.first().locator(".age").first()).toContainText(/ago|just now/);
  } else {
    await expect(time).toContainText("UTC");
  }
  await expect(time).toHaveAttribute("title", /UTC/);

  await page.getByLabel("State").selectOption("UP");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/state=UP/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-job", up);

  await page.goto(`${telltale.url}/jobs?text=${tag}`);
  await rows.first().getByRole("link", { name: down, exact: true }).click();
  await expect(page).toHaveURL(`${telltale.url}/jobs/${down}`);
  await expect(page.getByTestId("policy")).toContainText("Schedule: every 1h.");
  await expect(page.getByTestId("policy")).toContainText("Grace: 60 s (1 min)");
  await expect(page.locator("table.alerts")).toContainText("MISSED");
  await expect(page.locator("svg.duration-chart")).toHaveCount(1);
  expect(errors).toEqual([]);
});
