// What a first visit to each page downloads of WASM: every `.wasm` response
// of a fresh browser context, gzip -9 of its body, summed, after hydration
// and network idle. Prints one line per page; docs/benchmarks.md keeps the
// table.
import { expect, test } from "@playwright/test";
import { gzipSync } from "node:zlib";
import { startTelltale } from "../tests/server";
import { seedJobs } from "../tests/helpers";

test("gzipped WASM of a first visit to each page", async ({ browser }) => {
  const telltale = await startTelltale();
  try {
    const { up } = await seedJobs(telltale.url, "bundle");
    const run = `${up}-2`;
    let alert = 0;
    await expect
      .poll(async () => {
        const { alerts } = await (await fetch(`${telltale.url}/v1/alerts`)).json();
        alert = alerts?.[0]?.id ?? 0;
        return alert;
      })
      .toBeGreaterThan(0);
    const pages = [
      "/", "/jobs", `/jobs/${up}`, "/runs", `/runs/${run}`, "/events", "/alerts",
      `/alerts/${alert}`, "/workers", "/statistics", "/settings", "/new-job",
    ];
    const lines: string[] = [];
    for (const path of pages) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const files = new Map<string, number>();
      page.on("response", async (res) => {
        const url = new URL(res.url());
        if (!url.pathname.endsWith(".wasm") || res.status() !== 200) return;
        files.set(url.pathname, gzipSync(await res.body(), { level: 9 }).length);
      });
      await page.goto(`${telltale.url}${path}`);
      await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
      await page.waitForLoadState("networkidle");
      const main = [...files].find(([name]) => name.endsWith("/telltale.wasm"))?.[1] ?? 0;
      const total = [...files.values()].reduce((a, b) => a + b, 0);
      lines.push(`${path.padEnd(28)} ${String(files.size).padStart(4)} files  ${String(total).padStart(8)} B  (shared ${main} B)`);
      await context.close();
    }
    console.log(`\ngzipped WASM on a first visit:\n${lines.join("\n")}`);
  } finally {
    await telltale.stop();
  }
});
