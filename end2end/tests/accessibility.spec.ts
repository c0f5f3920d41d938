// axe-core on every page, light and dark, hydrated and without JavaScript
// (the two projects): no serious or critical violation. And the keyboard:
// `/` focuses the page's search, as on most tools operators use.
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContextOptions, expect, type Page, test } from "@playwright/test";
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

/** axe's serious and critical findings on the page as it is now. */
async function serious(page: Page, path: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ");
      return `${path}: ${v.id} (${v.impact}): ${v.help} at ${where}`;
    });
}

/** What `check` finds on every page, hydrated or as the server sent it
 * (the project), in a context made with `options`. axe itself is
 * JavaScript: without JavaScript the bundle is kept from loading instead. */
async function onEveryPage(
  browser: Browser,
  javaScriptEnabled: boolean,
  options: BrowserContextOptions,
  check: (page: Page, path: string) => Promise<string[]>,
): Promise<string[]> {
  const context = await browser.newContext({ ...options, javaScriptEnabled: true });
  if (!javaScriptEnabled) await context.route(/\/pkg\/.+\.(js|wasm)(\?.*)?$/, (route) => route.abort());
  const page = await context.newPage();
  const found: string[] = [];
  for (const path of pages) {
    await page.goto(`${telltale.url}${path}`);
    if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    // Every <details> open, so what they hold is checked too.
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    found.push(...(await check(page, path)));
  }
  await context.close();
  return found;
}

for (const scheme of ["light", "dark"] as const) {
  test(`no serious or critical axe violation on any page (${scheme})`, async ({ browser, javaScriptEnabled }) => {
    test.setTimeout(120_000);
    expect(await onEveryPage(browser, javaScriptEnabled, { colorScheme: scheme }, serious)).toEqual([]);
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

// WCAG 1.4.10 (reflow): on a phone nothing but a wide table scrolls
// sideways (in its own box), and axe finds nothing serious there either: a
// table that scrolls must be reachable with the keyboard.
test("at 390 px no page is wider than the screen", async ({ browser, javaScriptEnabled }) => {
  test.setTimeout(120_000);
  const phone = { viewport: { width: 390, height: 844 } };
  const found = await onEveryPage(browser, javaScriptEnabled, phone, async (page, path) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    return [...(width > 390 ? [`${path}: ${width} px wide`] : []), ...(await serious(page, path))];
  });
  expect(found).toEqual([]);
});
