// Keys and users on the settings page: created, changed and removed in
// place once hydrated, by plain forms without JavaScript; a new key's
// secret shown once either way; a refused form naming its field; and what
// was typed into another section kept across an answer.
import { expect, test } from "@playwright/test";
import { watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test("an API key is created, shown once and revoked from the settings page", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const name = `grafana-${test.info().project.name}-${test.info().repeatEachIndex}`;
  await page.goto(`${telltale.url}/settings`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  // Typed into another section: an answer here must not wipe it.
  const channel = page.locator("form.add-webhook").getByLabel("Name");
  await channel.fill("half-typed");

  const create = page.locator("form", { has: page.getByRole("button", { name: "Create key" }) });
  await create.getByLabel("Name").fill(name);
  await create.getByLabel("Scope").selectOption("read");
  await create.getByRole("button", { name: "Create key" }).click();
  const row = page.locator("table.keys tr", { hasText: name });
  await expect(row).toContainText("read");
  await expect(row.locator("td").nth(2)).toContainText(/^tt_\S+…$/);
  // The secret, once, in full (without JavaScript, on the page the post
  // is sent back to); it reads the API.
  const shown = page.locator("p.secret code");
  await expect(page.locator("p.secret")).toContainText(`New key “${name}”: copy it now`);
  const secret = (await shown.textContent()) ?? "";
  expect(secret).toMatch(/^tt_/);
  const read = await fetch(`${telltale.url}/v1/events`, { headers: { "x-api-key": secret } });
  expect(read.status).toBe(200);
  await expect(page.locator("table.keys")).not.toContainText(secret);
  if (javaScriptEnabled) await expect(channel).toHaveValue("half-typed");
  // Once: a new visit lists the key but not its secret.
  await page.reload();
  await expect(page.locator("table.keys tr", { hasText: name })).toHaveCount(1);
  await expect(page.locator("p.secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await expect(row.locator("td").nth(5).locator("time")).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("a user is added, refused with the field named, promoted, kept as the last admin and removed from the settings page", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  const email = `ops-${test.info().project.name}-${test.info().repeatEachIndex}@example.com`;
  await page.goto(`${telltale.url}/settings`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  const add = page.locator("form", { has: page.getByRole("button", { name: "Add user" }) });

  // Too short a password: refused, the field named, nobody added.
  await add.getByLabel("Email").fill(email);
  await add.getByLabel("Password").evaluate((input: HTMLInputElement) => input.removeAttribute("minlength"));
  await add.getByLabel("Password").fill("short");
  await add.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("alert")).toContainText("password: must be at least 12 characters");
  await expect(page.locator("table.users tr", { hasText: email })).toHaveCount(0);

  await add.getByLabel("Email").fill(email);
  await add.getByLabel("Password").fill("a long enough password");
  await add.getByRole("button", { name: "Add user" }).click();
  const row = page.locator("table.users tr", { hasText: email });
  await expect(row.getByRole("combobox")).toHaveValue("viewer");
  await expect(page.getByRole("alert")).toHaveCount(0);
  // What was sent is not kept in the form.
  await expect(add.getByLabel("Email")).toHaveValue("");

  // Typed and not sent: an answer to another form of the section keeps it.
  if (javaScriptEnabled) {
    await add.getByLabel("Email").fill("typed-not-sent@example.com");
    await row.locator('input[name="password"]').fill("half a new password");
  }
  await row.getByRole("combobox").selectOption("admin");
  const set = row.getByRole("button", { name: "Set", exact: true });
  // Without JavaScript the answer is a new page: the next step acts on it.
  await Promise.all([javaScriptEnabled || page.waitForEvent("load"), set.click()]);
  // The select shows "admin" as soon as it is picked, so wait for the store
  // itself, then check that a fresh page shows the role too.
  await expect
    .poll(async () => {
      const listed = await (await fetch(`${telltale.url}/v1/settings/users`)).json();
      return listed.users.find((u: { email: string }) => u.email === email)?.role;
    })
    .toBe("admin");
  if (javaScriptEnabled) {
    // Redrawn from the server (the option marked selected is its markup's).
    await expect(row.locator('option[value="admin"]')).toHaveAttribute("selected", "");
    await expect(add.getByLabel("Email")).toHaveValue("typed-not-sent@example.com");
    await expect(row.locator('input[name="password"]')).toHaveValue("half a new password");
  }
  const fresh = await page.context().newPage();
  await fresh.goto(`${telltale.url}/settings`);
  await expect(fresh.locator("table.users tr", { hasText: email }).getByRole("combobox")).toHaveValue("admin");
  await fresh.close();

  // The only admin stays, and the page says why.
  await page.locator("table.users tr", { hasText: email }).getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("alert")).toContainText("last admin");
  await expect(page.locator("table.users tr", { hasText: email })).toHaveCount(1);

  // With a second admin, the first goes.
  const second = `second-${email}`;
  await add.getByLabel("Email").fill(second);
  await add.getByLabel("Password").fill("another long password");
  await add.getByLabel("Role").selectOption("admin");
  await add.getByRole("button", { name: "Add user" }).click();
  await expect(page.locator("table.users tr", { hasText: second }).getByRole("combobox")).toHaveValue("admin");
  await page.locator("table.users tr", { hasText: email }).filter({ hasNotText: second })
    .getByRole("button", { name: "Remove" }).click();
  await expect(page.locator("table.users tr", { hasText: email }).filter({ hasNotText: second })).toHaveCount(0);
  // The two refusals answer 400 and 409, as the REST API would; nothing else failed.
  const refused = /HTTP 400 .*add-user|HTTP 409 .*remove-user|status of 40[09]/;
  expect(errors.filter((e) => !refused.test(e))).toEqual([]);
  if (javaScriptEnabled) expect(errors.filter((e) => e.startsWith("HTTP"))).toHaveLength(2);
});
