// Starts the release binary on a free port and a new temporary database, the
// way an operator would run it, and stops it with SIGTERM afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const binary = resolve(
  __dirname,
  "../..",
  process.env.TELLTALE_BIN ?? "target/release/telltale",
);

export interface Telltale {
  url: string;
  logs: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** Where and how to start it: the binary as it is (the default), or
 * `root`: a copy of the static build's root file system (dist/rootfs), run
 * by chroot as nobody, with no environment but MONITOR_*, as in the
 * FROM scratch container. */
export interface Launch {
  root?: string;
}

function siteRoot(): Record<string, string> {
  const root = process.env.MONITOR_SITE_ROOT;
  return root ? { MONITOR_SITE_ROOT: root } : {};
}

/** `env` adds to (or overrides) the defaults: auth off, a fresh database. */
export async function startTelltale(
  env: Record<string, string> = {},
  launch: Launch = {},
): Promise<Telltale> {
  const dir = launch.root ?? mkdtempSync(join(tmpdir(), "telltale-e2e-"));
  const port = await freePort();
  let output = "";
  const monitor = {
    MONITOR_PORT: String(port),
    MONITOR_DB_PATH: launch.root ? "/data/telltale.sqlite" : join(dir, "telltale.sqlite"),
    MONITOR_AUTH_ENABLED: "false",
    // The tests' webhook receivers listen on loopback.
    MONITOR_WEBHOOK_ALLOW_PRIVATE: "true",
    ...env,
  };
  const child: ChildProcess = launch.root
    ? spawn("/usr/sbin/chroot", ["--userspec=65534:65534", launch.root, "/telltale", "serve"], {
        env: monitor,
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(binary, ["serve"], {
        // MONITOR_SITE_ROOT=…/target/site: the site of a quick front-end
        // build (`cargo leptos build --release --split --frontend-only`)
        // instead of the one the binary embeds.
        env: { PATH: process.env.PATH ?? "", RUST_LOG: "info", ...siteRoot(), ...monitor },
        stdio: ["ignore", "pipe", "pipe"],
      });
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`telltale exited with ${child.exitCode} at start-up:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`telltale did not answer /v1/health within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    logs: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
