// axe-core on every page, light and dark, hydrated and without JavaScript
// (the two projects): no serious or critical violation. And the keyboard:
// `/` focuses the page's search, as on most tools operators use.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { postBatch, seedJobs } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;
let pages: string[];

test.beforeAll(async () => {
  telltale = await startTelltale();
  const { up } = await seedJobs(telltale.url, "a11y");
  await postBatch(telltale.url, [
    { eventType: "worker.heartbeat", message: "hb", workerId: "render-07", metadata: { hostname: "render-07.farm" } },
    { eventType: "job.started", message: "s", jobName: "proxy-render", runId: "pr-1", workerId: "render-07",
      metadata: { engine: "resolve" } },
  ]);
  pages = ["/", "/jobs", `/jobs/${up}`, "/runs", `/runs/${up}-2`, "/workers", "/alerts", "/alerts/1", "/events",
    "/settings", "/statistics", "/new-job", "/no-such-page"];
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

for (const scheme of ["light", "dark"] as const) {
  test(`no serious or critical axe violation on any page (${scheme})`, async ({ browser, javaScriptEnabled }) => {
    test.setTimeout(120_000);
    // axe itself is JavaScript: without JavaScript the page is checked as
    // the server sent it, with the bundle kept from loading instead.
    const context = await browser.newContext({ colorScheme: scheme, javaScriptEnabled: true });
    if (!javaScriptEnabled) await context.route(/\/pkg\/.+\.(js|wasm)(\?.*)?$/, (route) => route.abort());
    const page = await context.newPage();
    const found: string[] = [];
    for (const path of pages) {
      await page.goto(`${telltale.url}${path}`);
      if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
      // Every <details> open, so what they hold is checked too.
      await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
      const result = await new AxeBuilder({ page })
        .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
        .analyze();
      for (const v of result.violations) {
        if (v.impact !== "serious" && v.impact !== "critical") continue;
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ");
        found.push(`${path}: ${v.id} (${v.impact}): ${v.help} at ${where}`);
      }
    }
    await context.close();
    expect(found).toEqual([]);
  });
}

test("`/` focuses the page's search or filter", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "a key binding needs JavaScript");
  for (const [path, field] of [["/events", "#event-search"], ["/jobs", "#job-filter"], ["/runs", "#run-text"]]) {
    await page.goto(`${telltale.url}${path}`);
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    await page.locator("body").press("/");
    await expect(page.locator(field)).toBeFocused();
    // Typed into a field, `/` is just a character.
    await page.keyboard.type("a/b");
    await expect(page.locator(field)).toHaveValue(/a\/b$/);
  }
});
