#!/usr/bin/env node
// The `misar-scan` command of the npm package: finds the binary that the
// platform package (`@misar-scan/<platform>-<arch>`, an optional dependency:
// npm installs only the one matching this machine) carries, and runs it with
// the same arguments, standard streams, exit code and signals.
"use strict";

const { spawn } = require("child_process");

const PACKAGES = {
  "darwin arm64": "@misar-scan/darwin-arm64",
  "darwin x64": "@misar-scan/darwin-x64",
  "linux arm64": "@misar-scan/linux-arm64",
  "linux x64": "@misar-scan/linux-x64",
  "win32 x64": "@misar-scan/win32-x64",
};

function fail(message) {
  process.stderr.write(`misar-scan: ${message}\n`);
  process.exit(2);
}

function binaryPath() {
  // An escape hatch (and what the tests of a new platform use).
  if (process.env.MISAR_SCAN_BINARY) return process.env.MISAR_SCAN_BINARY;
  const key = `${process.platform} ${process.arch}`;
  const pkg = PACKAGES[key];
  if (!pkg) {
    fail(
      `no prebuilt binary for ${key}: install it another way ` +
        "(pip install misar-scan, or cargo install misar-scan), " +
        "or set MISAR_SCAN_BINARY to a misar-scan binary"
    );
  }
  const exe = process.platform === "win32" ? "misar-scan.exe" : "misar-scan";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch (e) {
    fail(
      `the package ${pkg}, which holds the binary for this machine, is not installed. ` +
        "It is an optional dependency of misar-scan: reinstall without " +
        "--no-optional / --omit=optional (and, with a lockfile made on another " +
        "system, delete node_modules and install again)."
    );
  }
  return undefined;
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });

// Pass on the signals a terminal or a process manager sends, so Ctrl-C or a
// timeout stops the scan rather than orphaning it.
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
for (const signal of forwarded) {
  try {
    process.on(signal, () => child.kill(signal));
  } catch (e) {
    // Not every signal exists on every system (Windows).
  }
}

child.on("error", (e) => fail(`could not run ${e.path || "the binary"}: ${e.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so the caller sees what the binary saw.
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 2 : code);
});
