import { expect, test, type Page } from "@playwright/test";
import { seedJobs, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// Auth on: closing an alert is for admins. A viewer reads the same alerts
// and is offered no close form; an admin closes one with a reason.
const admin = { email: "admin@example.com", password: "correct horse battery staple" };
const apiKey = "e2e-ingest-key-0123456789";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale({
    MONITOR_AUTH_ENABLED: "true",
    MONITOR_AUTH_ADMIN_EMAIL: admin.email,
    MONITOR_AUTH_ADMIN_PASSWORD: admin.password,
    MONITOR_API_KEY: apiKey,
  });
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${telltale.url}/login`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("header")).toContainText(who.email);
}

test("a viewer sees no close button; an admin closes an alert with a reason", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const { up } = await seedJobs(telltale.url, tag, { "x-api-key": apiKey });

  // The admin makes a viewer through the settings API, on the admin's session.
  await signIn(page, admin);
  const viewer = { email: `viewer-${tag}@example.com`, password: "viewer password 1234" };
  const created = await page.request.post(`${telltale.url}/v1/settings/users`, {
    data: { ...viewer, role: "viewer" },
    headers: { origin: telltale.url },
  });
  expect(created.status(), await created.text()).toBe(201);

  const viewerContext = await browser.newContext({ javaScriptEnabled });
  const viewerPage = await viewerContext.newPage();
  const viewerErrors = watchErrors(viewerPage);
  await signIn(viewerPage, viewer);
  await viewerPage.goto(`${telltale.url}/alerts?type=FAILURE&job=${up}`);
  if (javaScriptEnabled) {
    // A second browser context fetches and compiles the bundle cold.
    await expect(viewerPage.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 15_000 });
  }
  const seen = viewerPage.locator("table.alerts tbody tr").first();
  await expect(seen).toContainText("OPEN");
  await expect(seen).toContainText("exit 3: no space");
  await expect(viewerPage.getByRole("button", { name: "Close" })).toHaveCount(0);
  await expect(viewerPage.locator("form.close-alert")).toHaveCount(0);
  expect(viewerErrors).toEqual([]);
  await viewerContext.close();

  await page.goto(`${telltale.url}/alerts?type=FAILURE&job=${up}`);
  const first = page.locator("table.alerts tbody tr").first();
  await expect(first).toContainText("OPEN");
  // By id: a later evaluation may open a new FAILURE for the still-failing job.
  const row = page.locator(`tr[data-alert-id="${await first.getAttribute("data-alert-id")}"]`);
  await row.getByRole("textbox").fill(`disk replaced ${tag}`);
  await row.getByRole("button", { name: "Close" }).click();
  await expect(row).toContainText("CLOSED");
  await expect(row).toContainText(`disk replaced ${tag}`);
  await expect(row.getByRole("button", { name: "Close" })).toHaveCount(0);
  expect(errors).toEqual([]);
});
