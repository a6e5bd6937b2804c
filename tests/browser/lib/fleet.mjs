// The real system for browser and metrics tests: a Mosquitto broker on a free loopback port (its own
// config with persistence and max_queued_messages, in a temp dir), sterifleetd against it with a fresh
// SQLite file, and sterifleet-sim publishing a fleet. Every process is stopped by `stop()`.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the CMake test passes it)`);
  return value;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Thrown by a `waitFor` check when waiting longer cannot help (a process died). */
export class GaveUp extends Error {}

/**
 * Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. A check that
 * throws is tried again (the last error is reported), unless it throws GaveUp.
 */
export async function waitFor(what, check, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      if (e instanceof GaveUp) throw e;
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(everyMs);
  }
}

class Process {
  constructor(name, command, args, { env, logFile }) {
    this.name = name;
    this.logFile = logFile;
    const log = createWriteStream(logFile);
    this.child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Both streams write one file: neither may close it, the process's end does.
    this.child.stdout.pipe(log, { end: false });
    this.child.stderr.pipe(log, { end: false });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    /** Resolves once everything the process wrote is in its log file. */
    this.logged = new Promise((resolve) => {
      this.child.once("close", () => log.end(resolve));
      this.child.once("error", () => log.end(resolve));
    });
    this.running = true;
    this.exited.then(() => (this.running = false));
  }

  log() {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  async stop(timeoutMs = 10000) {
    if (!this.running) return this.exited;
    this.child.kill("SIGTERM");
    const result = await Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
    if (result) return result;
    this.child.kill("SIGKILL");
    return this.exited;
  }
}

export class Fleet {
  /**
   * @param {object} options
   * @param {string} options.daemon  sterifleetd binary
   * @param {string} options.sim     sterifleet-sim binary
   * @param {string} [options.dashboardDir] served as http.dashboard_dir
   * @param {(fleet: Fleet) => string} [options.config] TOML for the daemon's configuration file (--config),
   *   written once the HTTP port is chosen (fleet.base is set), e.g. a [notify] section
   */
  constructor(options) {
    this.options = options;
    this.dir = mkdtempSync(path.join(tmpdir(), "sterifleet-browser-"));
    this.bootstrap = "sft_" + randomBytes(16).toString("hex");
    this.processes = [];
    this.sim = null;
  }

  /**
   * The binaries the CMake test names (STERIFLEETD, STERIFLEET_SIM and, with `dashboard`, DASHBOARD_DIR),
   * started.
   * @param {object} [options]
   * @param {boolean} [options.dashboard] serve the built dashboard
   * @param {(fleet: Fleet) => string} [options.config] as for the constructor
   */
  static async start({ dashboard = false, config } = {}) {
    const fleet = new Fleet({
      daemon: required("STERIFLEETD"),
      sim: required("STERIFLEET_SIM"),
      dashboardDir: dashboard ? required("DASHBOARD_DIR") : undefined,
      config,
    });
    await fleet.start();
    return fleet;
  }

  file(name) {
    return path.join(this.dir, name);
  }

  async start() {
    await this.startBroker();
    await this.startDaemon();
  }

  async startBroker() {
    // A port found free can be taken before Mosquitto binds it: try a few.
    for (let attempt = 0; attempt < 5; ++attempt) {
      this.mqttPort = await freePort();
      const config = [
        `listener ${this.mqttPort} 127.0.0.1`,
        "allow_anonymous true",
        "persistence true",
        `persistence_location ${this.dir}/`,
        "max_queued_messages 1000000",
        "log_dest stderr",
        // As root, Mosquitto would switch to user "mosquitto", which cannot write our temp dir.
        ...(process.getuid?.() === 0 ? ["user root"] : []),
      ];
      writeFileSync(this.file("mosquitto.conf"), config.join("\n") + "\n");
      const broker = new Process("mosquitto", "mosquitto", ["-c", this.file("mosquitto.conf")], {
        logFile: this.file(`mosquitto.${attempt}.log`),
      });
      const up = await waitFor("mosquitto", async () => !broker.running || (await accepts(this.mqttPort)), 10000).catch(
        () => false,
      );
      if (up && broker.running) {
        this.broker = broker;
        this.processes.push(broker);
        return;
      }
      await broker.stop();
    }
    throw new Error("mosquitto did not start");
  }

  async startDaemon() {
    this.httpPort = await freePort();
    this.base = `http://127.0.0.1:${this.httpPort}`;
    const args = [
      "--set",
      `mqtt.url=tcp://127.0.0.1:${this.mqttPort}`,
      "--set",
      `mqtt.client_id=sterifleetd-${path.basename(this.dir)}`,
      "--set",
      `store.db=${this.file("sterifleet.db")}`,
      "--set",
      `http.listen=127.0.0.1:${this.httpPort}`,
      "--set",
      "log.level=info",
    ];
    if (this.options.dashboardDir) args.push("--set", `http.dashboard_dir=${this.options.dashboardDir}`);
    if (this.options.config) {
      writeFileSync(this.file("sterifleetd.toml"), this.options.config(this));
      args.push("--config", this.file("sterifleetd.toml"));
    }
    this.daemon = new Process("sterifleetd", this.options.daemon, args, {
      env: { STERIFLEET_BOOTSTRAP_TOKEN: this.bootstrap },
      logFile: this.file("sterifleetd.log"),
    });
    this.processes.push(this.daemon);
    await waitFor(
      "sterifleetd to be ready (/readyz)",
      async () => {
        if (!this.daemon.running) {
          await this.daemon.logged;
          throw new GaveUp("sterifleetd exited:\n" + this.daemon.log());
        }
        const response = await fetch(`${this.base}/readyz`);
        return response.status === 200;
      },
      30000,
      200,
    );
  }

  /** Starts sterifleet-sim with these extra arguments; its state (boot counters) lives in the temp dir. */
  startSim(args) {
    this.sim = new Process(
      "sterifleet-sim",
      this.options.sim,
      [
        "--broker",
        `tcp://127.0.0.1:${this.mqttPort}`,
        "--state-dir",
        this.file("sim-state"),
        "--log-level",
        "info",
        ...args,
      ],
      { logFile: this.file("sim.log") },
    );
    this.processes.push(this.sim);
    return this.sim;
  }

  /**
   * Starts sterifleet-sim on two and a half days of the two clinics (a BI read the day after its cycle
   * whatever the time of day now) with one positive biological indicator injected, as `injected()` reads.
   * `follow`: told at 8000 times real speed, then kept up with the clock; otherwise as fast as the daemon
   * takes it, and the simulator exits.
   */
  startSimWithPositiveBI({ follow }) {
    return this.startSim([
      ...["--days", "2.5", "--speed", follow ? "8000" : "0", ...(follow ? ["--follow"] : []), "--seed", "7"],
      ...["--violations", "1", "--violation-kinds", "cycle.bi_positive"],
      ...["--injected", this.file("injected.jsonl")],
    ]);
  }

  /** The violations the simulator has injected so far (its --injected file). */
  injected() {
    const file = this.file("injected.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }

  /** Waits until the simulator has injected a violation of `rule`; returns it. */
  waitForInjected(rule, timeoutMs = 180000) {
    return waitFor(`an injected ${rule}`, () => this.injected().find((v) => v.rule === rule), timeoutMs, 250);
  }

  /** Publishes one message to the broker (QoS 1) as a device would; `retain` for a status. */
  async publish(topic, payload, { retain = false } = {}) {
    const args = ["-h", "127.0.0.1", "-p", String(this.mqttPort), "-q", "1", "-t", topic, "-m", payload];
    await promisify(execFile)("mosquitto_pub", retain ? [...args, "-r"] : args);
  }

  /** The daemon's /metrics as {sample name with labels: value}. */
  async metrics() {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    const samples = new Map();
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const cut = line.lastIndexOf(" ");
      samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
    }
    return { text, samples };
  }

  /** The sum of every sample of a metric. */
  async metricSum(name) {
    const { samples } = await this.metrics();
    let sum = 0;
    for (const [key, value] of samples) if (key === name || key.startsWith(name + "{")) sum += value;
    return sum;
  }

  /**
   * Waits until a --follow simulator has caught up with real time and the daemon stored what it sent.
   * The simulator logs its progress every 10 s; a night of simulated time passes in seconds at a high
   * speed, so two progress lines with the same last message and nothing queued or in flight mean it
   * waits for the real clock. Then the daemon's stored-message count must hold still for a second.
   */
  async waitForSimCatchUp(timeoutMs) {
    const progress =
      /simulated \S+, last message (\S+(?: yet)?): (\d+) published, (\d+) acknowledged, (\d+) queued, (\d+) in flight/g;
    await waitFor(
      "the simulator to catch up with real time",
      () => {
        const lines = [...this.sim.log().matchAll(progress)];
        if (lines.length < 2) return false;
        const [previous, last] = lines.slice(-2);
        return previous[1] === last[1] && last[2] === last[3] && last[4] === "0" && last[5] === "0";
      },
      timeoutMs,
      500,
    );
    await this.waitForIngestionToSettle();
  }

  /** Waits until the daemon has stored messages and its count of them holds still for a second. */
  async waitForIngestionToSettle(timeoutMs = 60000) {
    let last = -1;
    await waitFor(
      "ingestion to settle",
      async () => {
        const now = await this.metricSum("sterifleet_messages_stored_total");
        const settled = now === last && now > 0;
        last = now;
        return settled;
      },
      timeoutMs,
      1000,
    );
  }

  /** Calls the API with a token; returns the parsed JSON, or throws with the status and body. */
  async api(token, method, pathname, body) {
    const response = await fetch(`${this.base}/api/v1${pathname}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Creates a token with the bootstrap secret (valid until an admin token exists). */
  createToken(name, role) {
    return this.api(this.bootstrap, "POST", "/tokens", { name, role });
  }

  logs() {
    return this.processes.map((p) => `----- ${p.name} (${p.logFile}) -----\n${p.log().slice(-6000)}`).join("\n");
  }

  async stop() {
    // The simulator first, so the daemon sees clean shutdowns; the broker last.
    for (const p of [...this.processes].reverse()) await p.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
