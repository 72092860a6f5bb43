// Configuration from the environment, with the names the Go service in
// service/ reads (service/config.go, service/cmd/service), so the runner
// drives either one unchanged. Every error names its variable.

const DEFAULTS = {
  WORKER_POOL_SIZE: 4,
  MAX_QUEUE_SIZE: 8,
  SQS_WAIT_TIME: 1,
  SQS_VISIBILITY_TIMEOUT: 0, // 0: the queue's own
  RETRY_DELAY: 0, // seconds before a failed message is received again (0: at once)
  SHUTDOWN_TIMEOUT: "10s",
  TASK_IO_WAIT: "0s",
  TASK_CPU: "0s",
  DROP_ONE_IN: 0,
  FAILURE_RATE: 0,
};

function parseRate(name, v) {
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(s);
  const r = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(r >= 0 && r <= 1)) throw new Error(`${name}=${JSON.stringify(v)}: want a share such as 20% or 0.2`);
  return r;
}

function parseDuration(name, v) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(v).trim());
  if (!m) throw new Error(`${name}=${JSON.stringify(v)}: want a duration such as 500ms, 10s or 1m`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60000;
}

function parseInt_(name, v, lo, hi) {
  const s = String(v).trim();
  if (!/^\d+$/.test(s) || Number(s) < lo || Number(s) > hi) {
    throw new Error(`${name}=${JSON.stringify(v)}: want a whole number from ${lo} to ${hi}`);
  }
  return Number(s);
}

export function configFromEnv(env) {
  const errors = [];
  const get = (name) => (env[name] === undefined || env[name] === "" ? DEFAULTS[name] : env[name]);
  const tryRead = (fn) => {
    try {
      return fn();
    } catch (e) {
      errors.push(e.message);
      return undefined;
    }
  };
  const url = (name) =>
    tryRead(() => {
      const v = env[name];
      if (!v || !/^https?:\/\/[^/]+\/.+/.test(v)) {
        throw new Error(`${name}=${JSON.stringify(v ?? "")}: want the queue URL, e.g. http://127.0.0.1:9324/000000000000/export-jobs`);
      }
      return v;
    });
  const cfg = {
    jobsUrl: url("SQS_EXPORT_JOBS_URL"),
    tasksUrl: url("SQS_DOWNLOAD_TASKS_URL"),
    dlqUrl: env.SQS_DLQ_URL || "", // informational: dead letters arrive there by the queues' redrive policy
    workers: tryRead(() => parseInt_("WORKER_POOL_SIZE", get("WORKER_POOL_SIZE"), 1, 1024)),
    maxQueue: tryRead(() => parseInt_("MAX_QUEUE_SIZE", get("MAX_QUEUE_SIZE"), 0, 1 << 20)),
    waitTime: tryRead(() => parseInt_("SQS_WAIT_TIME", get("SQS_WAIT_TIME"), 0, 20)),
    visibility: tryRead(() => parseInt_("SQS_VISIBILITY_TIMEOUT", get("SQS_VISIBILITY_TIMEOUT"), 0, 43200)),
    retryDelay: tryRead(() => parseInt_("RETRY_DELAY", get("RETRY_DELAY"), 0, 43200)),
    shutdownMs: tryRead(() => parseDuration("SHUTDOWN_TIMEOUT", get("SHUTDOWN_TIMEOUT"))),
    ioWaitMs: tryRead(() => parseDuration("TASK_IO_WAIT", get("TASK_IO_WAIT"))),
    cpuMs: tryRead(() => parseDuration("TASK_CPU", get("TASK_CPU"))),
    dropOneIn: tryRead(() => parseInt_("DROP_ONE_IN", get("DROP_ONE_IN"), 0, 1 << 30)),
    failureRate: tryRead(() => parseRate("FAILURE_RATE", get("FAILURE_RATE"))),
  };
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return cfg;
}

// dropped is the deliberate bug of DROP_ONE_IN=n: FNV-1a (32-bit) of the
// job id, mixed by MurmurHash3's finaliser, modulo n is 0. The Go test
// harness (examples/internal/harness.Dropped) computes the same.
export function dropped(jobId, n) {
  if (!(n > 0)) return false;
  let h = 0x811c9dc5;
  for (const c of Buffer.from(jobId, "utf8")) {
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
  }
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h % n === 0;
}
