// The original guide's SQS service in Node.js (see
// ../../../shared/docs/original-guide.md and service/ for the Go one):
//
//   - export jobs (SQS_EXPORT_JOBS_URL) are fanned out into download
//     tasks on a bounded pool of WORKER_POOL_SIZE worker threads with an
//     internal queue of MAX_QUEUE_SIZE;
//   - tasks that do not fit overflow to SQS_DOWNLOAD_TASKS_URL, which the
//     same service consumes (waiting for room in the pool);
//   - a failed message is not deleted: it is retried when its visibility
//     timeout (or RETRY_DELAY) runs out, and the queues' redrive policy
//     moves it to the dead-letter queue after maxReceiveCount receives;
//   - SIGTERM stops polling, lets queued work finish for SHUTDOWN_TIMEOUT,
//     then gives every unfinished message back (visibility 0) and exits 0.
//
// Message formats are the Go service's (service/api.go): a job is
// {"job_id", "tasks": [task...], "payload"?}, a task {"task_id", "job_id",
// "url"?, "size"?, "attempt"?}.
import { ChangeMessageVisibilityCommand, SQSClient, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";
import { fileURLToPath } from "node:url";
import { configFromEnv, dropped } from "./lib/config.js";
import { Pool, ShutdownError } from "./lib/pool.js";

const log = (msg, fields = {}) => console.error(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));

let cfg;
try {
  cfg = configFromEnv(process.env);
} catch (err) {
  console.error(`node consumer: ${err.message}`);
  process.exit(2);
}

const sqs = new SQSClient({
  region: process.env.AWS_REGION || "us-east-1",
  ...(process.env.AWS_ENDPOINT_URL_SQS ? { endpoint: process.env.AWS_ENDPOINT_URL_SQS } : {}),
});
const pool = new Pool(cfg.workers, cfg.maxQueue, fileURLToPath(new URL("./lib/worker.js", import.meta.url)), {
  ioWaitMs: cfg.ioWaitMs,
  cpuMs: cfg.cpuMs,
  failureRate: cfg.failureRate,
});

let shuttingDown = false;
let handling = 0; // messages whose handler runs
let processed = 0;
let overflowed = 0;

// handOff sends tasks that did not fit the pool to download-tasks; once
// sent they are that queue's, so the job does not wait for them.
async function handOff(tasks) {
  for (let i = 0; i < tasks.length; i += 10) {
    const chunk = tasks.slice(i, i + 10);
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: cfg.tasksUrl,
        Entries: chunk.map((t, k) => ({ Id: String(k), MessageBody: JSON.stringify(t) })),
      }),
    );
    if (out.Failed && out.Failed.length > 0) {
      throw new Error(`${out.Failed.length} of ${chunk.length} tasks not sent to download-tasks: ${out.Failed[0].Message}`);
    }
    overflowed += chunk.length;
  }
}

function parse(message, what, field) {
  let body;
  try {
    body = JSON.parse(message.Body);
  } catch {
    body = undefined;
  }
  if (!body || typeof body[field] !== "string" || body[field] === "") {
    // Left on the queue: the redrive policy dead-letters it.
    throw new Error(`invalid ${what} (message ${message.MessageId}): left for the dead-letter queue`);
  }
  return body;
}

async function handleJob(message) {
  handling++;
  try {
    const job = parse(message, "job", "job_id");
    if (dropped(job.job_id, cfg.dropOneIn)) {
      return undefined; // the deliberate bug of DROP_ONE_IN: neither deleted nor given back
    }
    const running = [];
    const overflow = [];
    for (const task of Array.isArray(job.tasks) ? job.tasks : []) {
      const p = pool.tryRun(task);
      if (p) running.push(p);
      else overflow.push(task);
    }
    if (overflow.length > 0) running.push(handOff(overflow));
    const results = await Promise.allSettled(running);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    processed += running.length - (overflow.length > 0 ? 1 : 0);
    return message; // acknowledged: sqs-consumer deletes it
  } finally {
    handling--;
  }
}

async function handleTask(message) {
  handling++;
  try {
    const task = parse(message, "task", "task_id");
    await pool.run(task);
    processed++;
    return message;
  } finally {
    handling--;
  }
}

// giveBack runs when a handler fails: a message cut short by shutdown is
// made visible at once; with RETRY_DELAY an ordinary failure is retried
// after that delay; otherwise the message waits out its visibility
// timeout (the retry) and the redrive policy counts its receives.
async function giveBack(queueUrl, message, err) {
  let timeout;
  if (err instanceof ShutdownError) timeout = 0;
  else if (cfg.retryDelay > 0) timeout = cfg.retryDelay;
  else return;
  try {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: timeout }));
  } catch (e) {
    log("giving a message back", { queue: queueUrl, id: message.MessageId, err: e.message });
  }
}

function consumer(queueUrl, handler, batchSize) {
  const c = Consumer.create({
    queueUrl,
    sqs,
    handleMessage: async (message) => {
      try {
        return await handler(message);
      } catch (err) {
        await giveBack(queueUrl, message, err);
        throw err;
      }
    },
    batchSize,
    waitTimeSeconds: cfg.waitTime,
    ...(cfg.visibility > 0 ? { visibilityTimeout: cfg.visibility } : {}),
    pollingCompleteWaitTimeMs: cfg.shutdownMs + 10000,
  });
  c.on("error", (err) => log("sqs error", { queue: queueUrl, err: err.message }));
  c.on("processing_error", (err) => {
    if (!(err instanceof ShutdownError)) log("processing error", { queue: queueUrl, err: err.message });
  });
  return c;
}

const consumers = [
  consumer(cfg.jobsUrl, handleJob, 10),
  consumer(cfg.tasksUrl, handleTask, Math.max(1, Math.min(10, cfg.workers + cfg.maxQueue))),
];

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log("stopping", { signal });
  const stopped = consumers.map((c) => new Promise((resolve) => c.once("stopped", resolve)));
  for (const c of consumers) c.stop();
  const deadline = Date.now() + cfg.shutdownMs;
  while (handling > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (handling > 0) {
    log("shutdown timeout: giving unfinished messages back", { handling });
    await pool.cut();
  }
  await Promise.all(stopped); // the last polls and their handlers (releases included) are done
  await pool.close();
  log("stopped", { processed, overflowed });
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

for (const c of consumers) c.start();
log("consuming", { jobs: cfg.jobsUrl, tasks: cfg.tasksUrl, workers: cfg.workers, maxQueue: cfg.maxQueue });
