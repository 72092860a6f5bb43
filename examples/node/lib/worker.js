// One worker thread: runs download tasks one at a time. The "download"
// is simulated: TASK_IO_WAIT of waiting and TASK_CPU of computing, like
// the Go service's synthetic handler; FAILURE_RATE of the attempts fail.
import { parentPort, workerData } from "node:worker_threads";

const { ioWaitMs = 0, cpuMs = 0, failureRate = 0 } = workerData || {};

parentPort.on("message", async (task) => {
  try {
    if (!task || typeof task.task_id !== "string" || task.task_id === "") {
      throw new Error("task without task_id");
    }
    if (ioWaitMs > 0) await new Promise((r) => setTimeout(r, ioWaitMs));
    // FAILURE_RATE: the guide's injected failures; the task's message is
    // retried through SQS and dead-lettered after maxReceiveCount.
    if (failureRate > 0 && Math.random() < failureRate) throw new Error("injected failure (FAILURE_RATE)");
    if (cpuMs > 0) {
      const end = performance.now() + cpuMs;
      let x = 0;
      while (performance.now() < end) x += Math.sqrt(x + 1);
    }
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message ? err.message : err) });
  }
});
