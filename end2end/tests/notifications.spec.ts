import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// Desktop notifications: opt-in, informational. The browser's Notification
// is wrapped so the test can read what was shown.
let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

type Shown = { title: string; body: string }[];

test("after opting in, a new failed run and its alert arrive as notifications", async ({
  page,
  context,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const button = page.getByRole("button", { name: /^Notifications/ });
  if (!javaScriptEnabled) {
    await page.goto(`${telltale.url}/runs`);
    await expect(page.locator("h1")).toHaveText("Runs");
    await expect(button).toHaveCount(0);
    return;
  }
  await context.grantPermissions(["notifications"], { origin: telltale.url });
  await page.addInitScript(() => {
    const Real = window.Notification;
    const shown: Shown = [];
    (window as unknown as { shown: Shown }).shown = shown;
    class Spy extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? "" });
      }
      static get permission() {
        return Real.permission;
      }
      static requestPermission = Real.requestPermission.bind(Real);
    }
    window.Notification = Spy;
  });
  const shown = () => page.evaluate(() => (window as unknown as { shown: Shown }).shown);

  const tag = `${Date.now()}`;
  const job = `notify-${tag}`;
  // A failure from before opting in is not news.
  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: `old-${job}`, runId: `old-${tag}` },
    { eventType: "job.failed", level: "error", message: "f", jobName: `old-${job}`, runId: `old-${tag}`,
      metadata: { failure_reason: "old failure" } },
  ]);
  await page.goto(`${telltale.url}/runs`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.locator(".live-indicator")).toHaveText("live");
  await expect(button).toHaveText("Notifications off");
  const baseline = page.waitForResponse("**/api/notices*");
  await button.click();
  await expect(button).toHaveText("Notifications on");
  await expect(button).toHaveAttribute("aria-pressed", "true");
  await baseline;

  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: job, runId: `run-${tag}` },
    { eventType: "job.failed", level: "error", message: "f", jobName: job, runId: `run-${tag}`,
      metadata: { failure_reason: "exit 3: no space" } },
  ]);
  await expect.poll(shown, { timeout: 5_000 }).toContainEqual({ title: `Run failed: ${job}`, body: "exit 3: no space" });
  await expect
    .poll(async () => (await shown()).map((n) => n.title), { timeout: 5_000 })
    .toContain(`FAILURE alert: ${job}`);
  expect((await shown()).map((n) => n.body)).not.toContain("old failure");

  // The choice survives a reload.
  await page.reload();
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(button).toHaveText("Notifications on");
  expect(errors).toEqual([]);
});

test("without the Notification API there is no button", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the button never renders without JavaScript");
  await page.addInitScript(() => {
    delete (window as unknown as { Notification?: unknown }).Notification;
  });
  await page.goto(`${telltale.url}/runs`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await expect(page.getByRole("button", { name: /^Notifications/ })).toHaveCount(0);
});
