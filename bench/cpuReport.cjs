"use strict";
// Preloaded (NODE_OPTIONS=--require) into every Node process the engine starts during a benchmark operation:
// it writes the process's own CPU time to BENCH_CPU_DIR/<pid>.json when the process ends, so that the benchmark
// can split the CPU of the tree exactly instead of sampling /proc (which misses each process's last moments and
// every short-lived process). Pulumi ends plugins with SIGINT to their process group (then SIGKILL after a
// cooldown), so the report is also written on SIGINT/SIGTERM; the default action is then restored and the signal
// raised again, so that the process ends as it would have.
const fs = require("node:fs");
const path = require("node:path");
const dir = process.env.BENCH_CPU_DIR;
if (dir) {
  const write = () => {
    try {
      const { user, system } = process.cpuUsage();
      const file = path.join(dir, `${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify({ argv: process.argv.slice(1), cpuUs: user + system }));
    } catch {
      // The directory may be gone between operations; a missing report shows as CLI time.
    }
  };
  process.on("exit", write);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    const onSignal = () => {
      write();
      // Ours is not the only handler: the process handles the signal itself; let it.
      if (process.listenerCount(signal) > 1) return;
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
