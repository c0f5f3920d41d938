import { expect, test } from "@playwright/test";
import { ago, postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("offline workers come first; the overview counts them", async ({ page }) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  const beat = (worker: string, secondsAgo: number, run: string | null) => ({
    eventType: "worker.heartbeat",
    message: "beat",
    workerId: `${worker}-${tag}`,
    eventAt: ago(secondsAgo),
    metadata: { hostname: `${worker}.farm`, interval_seconds: 60, current_run_id: run },
  });
  await postBatch(telltale.url, [
    beat("a-busy", 1, `render-${tag}`),
    beat("z-gone", 3600, null),
  ]);

  await page.goto(`${telltale.url}/workers`);
  const rows = page.locator("table.workers tbody tr");
  await expect(rows.first()).toHaveAttribute("data-worker", `z-gone-${tag}`);
  await expect(rows.first()).toContainText("offline");
  const busy = page.locator(`tr[data-worker="a-busy-${tag}"]`);
  await expect(busy).toContainText("busy");
  await expect(busy.getByRole("link", { name: `render-${tag}` })).toHaveAttribute(
    "href",
    `/runs/render-${tag}`,
  );

  await page.goto(`${telltale.url}/`);
  await expect(page.getByTestId("counts")).toContainText("Workers");
  await expect(page.locator('[data-count="offline"]')).toHaveClass(/alarm/);
  await expect(page.locator("body")).not.toContainText(/all good/i);
  expect(errors).toEqual([]);
});
