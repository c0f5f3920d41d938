// The static binary in an empty root: only itself, the CA certificates and a
// data directory (dist/rootfs, what the FROM scratch container holds), run
// as nobody with no environment but MONITOR_*. No libc, no site directory,
// no /proc, /tmp or /etc/passwd: the dashboard must still load from the
// binary, hydrate, and show what is posted to it.
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

const rootfs = resolve(__dirname, "../..", process.env.TELLTALE_ROOTFS ?? "dist/rootfs");
const ci = !!process.env.CI;
const ready = existsSync(join(rootfs, "telltale")) && process.getuid?.() === 0;

let telltale: Telltale;

test.beforeAll(async () => {
  // CI builds the root and runs as root: there, a missing piece is a failure.
  if (!ready && !ci) return;
  expect(existsSync(join(rootfs, "telltale")), `${rootfs}/telltale (make dist)`).toBe(true);
  expect(process.getuid?.(), "chroot needs root").toBe(0);
  const root = mkdtempSync(join(tmpdir(), "telltale-root-"));
  cpSync(rootfs, root, { recursive: true });
  chmodSync(root, 0o755); // mkdtemp's 0700 would shut nobody out of its own root
  execFileSync("chown", ["-R", "65534:65534", join(root, "data")]);
  expect(readdirSync(root).sort()).toEqual(["data", "etc", "telltale"]);
  telltale = await startTelltale({}, { root });
});

test.afterAll(async () => {
  if (telltale) expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test.beforeEach(() => {
  test.skip(!ready && !ci, "needs `make dist` (dist/rootfs) and root for chroot");
});

test("the dashboard loads from the binary and shows a posted event", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const tag = `${test.info().project.name}-${Date.now()}`;
  await page.goto(`${telltale.url}/events`);
  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 15_000 });
    await expect(page.locator(".live-indicator")).toHaveText("live");
  }
  await postBatch(telltale.url, [
    { eventType: "job.started", message: `from nowhere ${tag}`, jobName: "empty-root", runId: `run-${tag}` },
  ]);
  if (!javaScriptEnabled) await page.reload();
  await expect(page.locator("table.events")).toContainText(`from nowhere ${tag}`);
  expect(errors).toEqual([]);
  expect(telltale.logs()).toContain("site served from the binary");
});

test("the site's files come compressed and revalidate", async () => {
  const css = await fetch(`${telltale.url}/pkg/telltale.css`, { headers: { "accept-encoding": "br" } });
  expect(css.status).toBe(200);
  expect(css.headers.get("content-encoding")).toBe("br");
  expect(css.headers.get("content-type")).toContain("text/css");
  const etag = css.headers.get("etag") ?? "";
  expect(etag).toMatch(/^"[0-9a-f]+-br"$/);
  const again = await fetch(`${telltale.url}/pkg/telltale.css`, {
    headers: { "accept-encoding": "br", "if-none-match": etag },
  });
  expect(again.status).toBe(304);
  const plain = await fetch(`${telltale.url}/pkg/telltale.wasm`, { headers: { "accept-encoding": "identity" } });
  expect(plain.headers.get("content-encoding")).toBeNull();
  expect(plain.headers.get("content-type")).toBe("application/wasm");
  const bytes = new Uint8Array(await plain.arrayBuffer());
  expect(Array.from(bytes.slice(0, 4))).toEqual([0x00, 0x61, 0x73, 0x6d]);
});

test("metrics and health answer without /proc", async () => {
  const health = await fetch(`${telltale.url}/v1/health`);
  expect(health.status).toBe(200);
  expect((await health.json()).status).toBe("ok");
  const metrics = await fetch(`${telltale.url}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain("telltale_build_info");
});
