import { test } from "@playwright/test";
import { postBatch, seedJobs } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// `SCREENSHOTS=1 npx playwright test screenshots --project hydrated`:
// every page at 1280×800 and 390×844, light and dark, into docs/screenshots.
test.skip(!process.env.SCREENSHOTS, "set SCREENSHOTS=1 to take the screenshots of the README and docs/dashboard.md");

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  await telltale.stop();
});

test("screenshots of every page", async ({ browser }) => {
  test.setTimeout(180_000);
  const { up } = await seedJobs(telltale.url, "shot");
  await postBatch(telltale.url, [
    { eventType: "worker.heartbeat", message: "hb", workerId: "render-07", metadata: { hostname: "render-07.farm" } },
    { eventType: "job.started", message: "s", jobName: "proxy-render", runId: "pr-1", workerId: "render-07" },
    { eventType: "job.progress", message: "p", jobName: "proxy-render", runId: "pr-1", workerId: "render-07", metadata: { progress: 40 } },
  ]);
  const pages: [string, string][] = [
    ["overview", "/"],
    ["jobs", "/jobs"],
    ["new-job", "/new-job"],
    ["job-detail", `/jobs/${up}`],
    ["runs", "/runs"],
    ["run-detail", `/runs/${up}-2`],
    ["workers", "/workers"],
    ["alerts", "/alerts"],
    ["alert-detail", "/alerts/1"],
    ["events", "/events"],
    ["settings", "/settings"],
    ["statistics", "/statistics"],
  ];
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    for (const scheme of ["light", "dark"] as const) {
      const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
      const page = await context.newPage();
      for (const [name, path] of pages) {
        await page.goto(`${telltale.url}${path}`);
        await page.waitForLoadState("networkidle");
        await page.screenshot({ path: `../docs/screenshots/${name}-${width}-${scheme}.png`, fullPage: false });
      }
      await context.close();
    }
  }
});
