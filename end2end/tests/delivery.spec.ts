import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { expect, test } from "@playwright/test";
import { postBatch, watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// A webhook set up on the settings page, its secret shown once, tested from
// there (hydrated: the test send's outcome is the action's answer), then an
// alert whose delivery shows on its own page.
let telltale: Telltale;
let receiver: Server;
let receiverUrl = "";
let receiverBase = "";
const received: { path: string; body: any; raw: string; headers: Record<string, string | string[] | undefined> }[] = [];
const hooks = () => received.filter((r) => r.path === "/hook");

test.beforeAll(async () => {
  telltale = await startTelltale();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(body), raw: body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  const address = receiver.address();
  const port = typeof address === "object" && address ? address.port : 0;
  receiverBase = `http://127.0.0.1:${port}`;
  receiverUrl = `${receiverBase}/hook`;
});

test.afterAll(async () => {
  receiver.close();
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("a webhook added on the settings page receives an alert, listed on the alert's page", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  await page.goto(`${telltale.url}/settings`);
  await expect(page.getByRole("heading", { name: "Alert email" })).toBeVisible();
  if (javaScriptEnabled) await expect(page.locator(".live-indicator")).toHaveText("live");
  const form = page.locator("form.add-webhook");
  await form.getByLabel("Name").fill("pager");
  await form.getByLabel("URL").fill(receiverUrl);
  await form.getByRole("button", { name: "Add channel" }).click();
  await expect(page.getByText(/signs with this secret/)).toContainText("whsec_");
  const secret = (await page.locator("p.secret code").textContent()) ?? "";
  expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
  await page.reload();
  await expect(page.locator("table.webhooks tr", { hasText: "pager" })).toHaveCount(1);
  expect(await page.content()).not.toContain(secret);
  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    const row = page.locator("table.webhooks tr", { hasText: "pager" });
    await row.getByRole("button", { name: "Send test" }).click();
    await expect(page.locator(".test-outcome")).toContainText("sent 1 of 1");
    await expect.poll(() => hooks().length, { timeout: 10_000 }).toBe(1);
  }
  const before = hooks().length;

  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: "encode", runId: "enc-1" },
    { eventType: "job.failed", level: "error", message: "f", jobName: "encode", runId: "enc-1",
      metadata: { failure_reason: "x264: out of memory" } },
  ]);
  await expect.poll(() => hooks().length, { timeout: 10_000 }).toBe(before + 1);
  // The secret shown is the one that signs: the receiver verifies with it.
  const alert = hooks()[before];
  const ts = String(alert.headers["x-telltale-timestamp"]);
  const mac = createHmac("sha256", secret).update(`${ts}.${alert.raw}`).digest("hex");
  expect(alert.headers["x-telltale-signature"]).toBe(`sha256=${mac}`);

  await page.goto(`${telltale.url}/alerts?type=FAILURE`);
  await page.locator("table.alerts a", { hasText: "FAILURE" }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("FAILURE");
  const delivery = page.locator("tr.delivery");
  await expect(delivery).toHaveCount(1);
  await expect(delivery).toContainText("SENT");
  await expect(delivery).toContainText("pager (127.0.0.1:");
  expect(errors).toEqual([]);
});

test("a chat channel added on the settings page is listed masked and answers its test", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const name = `discord-${javaScriptEnabled ? "js" : "nojs"}`;
  const token = `SECRET-TOKEN-${name}-abcdefghijkl`;
  await page.goto(`${telltale.url}/settings`);
  const form = page.locator("form.add-webhook");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Provider").selectOption("discord");
  await form.getByLabel("URL").fill(`${receiverBase}/discord/api/webhooks/1/${token}`);
  await form.getByRole("button", { name: "Add channel" }).click();
  const row = page.locator("table.webhooks tr", { hasText: name });
  await expect(row).toContainText("Discord");
  await expect(row).toContainText("••••ijkl");
  await expect(page.locator("table.webhooks")).not.toContainText("SECRET-TOKEN");
  // A Discord channel does not sign: no secret to copy.
  await expect(page.getByText(/signs with this secret/)).toHaveCount(0);
  if (javaScriptEnabled) {
    await row.getByRole("button", { name: "Send test" }).click();
    await expect(page.locator(".test-outcome")).toContainText(`sent 1 of 1 via ${name} (127.0.0.1:`);
    const tests = () => received.filter((r) => r.path.includes(token));
    await expect.poll(() => tests().length).toBe(1);
    expect(tests()[0].body.embeds[0].title).toContain("Telltale test");
    expect(tests()[0].body.allowed_mentions).toEqual({ parse: [] });
  }
  expect(errors).toEqual([]);
});

test("a channel missing what its provider needs is refused, naming the field", async ({ page }) => {
  await page.goto(`${telltale.url}/settings`);
  const form = page.locator("form.add-webhook");
  await form.getByLabel("Name").fill("tg");
  await form.getByLabel("Provider").selectOption("telegram");
  await form.getByRole("button", { name: "Add channel" }).click();
  await expect(page.getByRole("alert")).toContainText("options.token");
  await expect(page.locator("table.webhooks tr", { hasText: "Telegram" })).toHaveCount(0);
});

test("a channel routed by tag from the settings page hears only of that tag's jobs, and says why", async ({
  page,
  javaScriptEnabled,
}) => {
  const suffix = javaScriptEnabled ? "js" : "nojs";
  const name = `dba-${suffix}`;
  await page.goto(`${telltale.url}/settings`);
  const form = page.locator("form.add-webhook");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Provider").selectOption("mattermost");
  await form.getByLabel("URL").fill(`${receiverBase}/mattermost/hooks/${name}`);
  await form.getByLabel("Job tags").fill("db");
  await form.getByLabel("Group window (s)").fill("0");
  await form.getByRole("button", { name: "Add channel" }).click();
  await expect(page.locator("table.webhooks tr", { hasText: name })).toContainText("Mattermost");

  const tagged = `pg-backup-${suffix}`;
  const other = `render-${suffix}`;
  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: tagged, runId: `${tagged}-1`, metadata: { tags: ["db"] } },
    { eventType: "job.failed", level: "error", message: "f", jobName: tagged, runId: `${tagged}-1` },
    { eventType: "job.started", message: "s", jobName: other, runId: `${other}-1` },
    { eventType: "job.failed", level: "error", message: "f", jobName: other, runId: `${other}-1` },
  ]);
  const mine = () => received.filter((r) => r.path.endsWith(`/${name}`));
  await expect.poll(() => mine().length, { timeout: 10_000 }).toBe(1);
  expect(mine()[0].body.text).toContain(tagged);
  expect(mine()[0].body.text).not.toContain(other);

  await page.goto(`${telltale.url}/alerts?type=FAILURE`);
  await page.locator("table.alerts tr", { hasText: tagged }).locator("a", { hasText: "FAILURE" }).first().click();
  await expect(page.locator("tr.delivery", { hasText: name })).toContainText("type FAILURE, tag db");
  // Nothing more arrives: the untagged job's alert was not routed here.
  await page.waitForTimeout(500);
  expect(mine().length).toBe(1);
});

test("a channel changed on the settings page follows its new rule, and a job that names it always reaches it", async ({
  page,
  javaScriptEnabled,
}) => {
  const suffix = javaScriptEnabled ? "js" : "nojs";
  const name = `ops-${suffix}`;
  await page.goto(`${telltale.url}/settings`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  const add = page.locator("form.add-webhook");
  await add.getByLabel("Name").fill(name);
  await add.getByLabel("Provider").selectOption("mattermost");
  await add.getByLabel("URL").fill(`${receiverBase}/mattermost/hooks/${name}`);
  await add.getByLabel("Job tags").fill("never");
  await add.getByLabel("Group window (s)").fill("0");
  await add.getByRole("button", { name: "Add channel" }).click();
  const row = page.locator("table.webhooks tr", { hasText: name });
  await expect(row).toContainText("tags never");

  // Changed: its masked URL is left as shown (and kept), its tag replaced.
  const edit = page.locator("details.edit-channel", { hasText: name });
  await edit.locator("summary").click();
  const form = edit.locator("form.edit-webhook");
  await expect(form.getByLabel("URL")).not.toHaveValue(`${receiverBase}/mattermost/hooks/${name}`);
  await expect(form.getByLabel("Provider")).toHaveValue("mattermost");
  await form.getByLabel("Job tags").fill("web");
  await form.getByRole("button", { name: "Save channel" }).click();
  await expect(row).toContainText("tags web");
  await expect(row).not.toContainText("never");

  const web = `storefront-${suffix}`;
  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: web, runId: `${web}-1`, metadata: { tags: ["web"] } },
    { eventType: "job.failed", level: "error", message: "f", jobName: web, runId: `${web}-1` },
  ]);
  const mine = () => received.filter((r) => r.path.endsWith(`/${name}`));
  await expect.poll(() => mine().length, { timeout: 10_000 }).toBe(1);
  expect(mine()[0].body.text).toContain(web);

  // A job whose operator names the channel reaches it without the tag.
  const named = `nas-sync-${suffix}`;
  await page.goto(`${telltale.url}/new-job`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  const create = page.getByTestId("new-job");
  await create.getByLabel("Name").fill(named);
  await create.getByLabel("Always notify channels").fill(name);
  await create.getByRole("button", { name: "Create job" }).click();
  await expect(page).toHaveURL(`${telltale.url}/jobs/${named}`);
  await expect(page.getByTestId("job-channels")).toHaveText(name);
  await postBatch(telltale.url, [
    { eventType: "job.started", message: "s", jobName: named, runId: `${named}-1` },
    { eventType: "job.failed", level: "error", message: "f", jobName: named, runId: `${named}-1` },
  ]);
  await expect.poll(() => mine().length, { timeout: 10_000 }).toBe(2);
  expect(mine()[1].body.text).toContain(named);
  await page.goto(`${telltale.url}/alerts?type=FAILURE`);
  await page.locator("table.alerts tr", { hasText: named }).locator("a", { hasText: "FAILURE" }).first().click();
  await expect(page.locator("tr.delivery", { hasText: name })).toContainText(`the job names channel ${name}`);
});
