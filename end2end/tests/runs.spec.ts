import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop()).toBe(0);
});

test("a failed run is listed first and its page shows the reason verbatim", async ({ page }) => {
  const errors = watchErrors(page);

  const tag = `${test.info().project.name}-${Date.now()}`;
  const reason = `Resolve render failed:\n  clip "A001_C002.mov" offline\n  exit code 3   `;
  await postBatch(telltale.url, [
    { eventType: "job.started", message: "start", jobName: "proxy", runId: `ok-${tag}` },
    { eventType: "job.completed", message: "done", jobName: "proxy", runId: `ok-${tag}` },
    { eventType: "job_created", message: "queued", jobName: "proxy", runId: `bad-${tag}`,
      metadata: { source_path: "/mnt/in/A001.mov", lut_id: "rec709" } },
    { eventType: "execution_started", message: "go", jobName: "proxy", runId: `bad-${tag}` },
    { eventType: "execution_failed", level: "error", message: "failed", jobName: "proxy",
      runId: `bad-${tag}`, metadata: { failure_reason: reason } },
    { eventType: "job.started", message: "later", jobName: "proxy", runId: `later-${tag}` },
  ]);

  await page.goto(`${telltale.url}/runs`);
  const first = page.locator("table.runs tbody tr").first();
  await expect(first).toHaveAttribute("data-run-id", `bad-${tag}`);
  await expect(first).toHaveClass(/status-failed/);

  await first.getByRole("link").click();
  await expect(page).toHaveURL(`${telltale.url}/runs/bad-${tag}`);
  const pre = page.getByTestId("failure-reason");
  // textContent, not innerText: the stored text exactly, trailing spaces included.
  expect(await pre.evaluate((el) => el.textContent)).toBe(reason);
  await expect(page.locator("dl.fields")).toContainText("/mnt/in/A001.mov");
  await expect(page.locator("table.events tbody tr")).toHaveCount(3);
  expect(errors).toEqual([]);
});
