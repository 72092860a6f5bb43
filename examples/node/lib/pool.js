// A bounded pool of worker threads, as in the original guide: `size`
// workers, at most `maxQueue` tasks waiting for one. tryRun refuses work
// when full (the caller overflows it to download-tasks); run waits for
// room. cut ends everything at shutdown: waiting and running tasks fail
// with ShutdownError, so their messages are given back.
import { Worker } from "node:worker_threads";

export class ShutdownError extends Error {
  constructor() {
    super("shutting down");
    this.name = "ShutdownError";
  }
}

export class Pool {
  constructor(size, maxQueue, workerFile, workerData) {
    this.maxQueue = maxQueue;
    this.workerFile = workerFile;
    this.workerData = workerData;
    this.idle = [];
    this.busy = new Map(); // worker -> job
    this.queue = []; // jobs waiting for a worker
    this.roomWaiters = []; // run() callers waiting for room
    this.closed = false;
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  spawn() {
    const w = new Worker(this.workerFile, { workerData: this.workerData });
    w.on("message", (result) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      if (job) result.ok ? job.resolve() : job.reject(new Error(result.error));
      this.release(w);
    });
    w.on("error", (err) => {
      // The thread died: fail its task (retried through SQS) and replace it.
      const job = this.busy.get(w);
      this.busy.delete(w);
      if (job) job.reject(err);
      if (!this.closed) this.release(this.spawn());
    });
    return w;
  }

  release(w) {
    const next = this.queue.shift();
    if (next) {
      this.start(w, next);
      const waiter = this.roomWaiters.shift();
      if (waiter) waiter();
      return;
    }
    this.idle.push(w);
  }

  start(w, job) {
    this.busy.set(w, job);
    w.postMessage(job.task);
  }

  full() {
    return this.idle.length === 0 && this.queue.length >= this.maxQueue;
  }

  // tryRun runs task, or returns null when every worker is busy and the
  // internal queue is full.
  tryRun(task) {
    if (this.closed) return Promise.reject(new ShutdownError());
    if (this.full()) return null;
    return new Promise((resolve, reject) => {
      const job = { task, resolve, reject };
      const w = this.idle.pop();
      if (w) this.start(w, job);
      else this.queue.push(job);
    });
  }

  // run waits for room, then runs task.
  async run(task) {
    for (;;) {
      const p = this.tryRun(task);
      if (p) return p;
      await new Promise((resolve) => this.roomWaiters.push(resolve));
    }
  }

  // cut fails every waiting and running task and stops the threads.
  async cut() {
    this.closed = true;
    const running = [...this.busy.keys()];
    for (const job of this.queue.splice(0)) job.reject(new ShutdownError());
    for (const job of this.busy.values()) job.reject(new ShutdownError());
    this.busy.clear();
    for (const waiter of this.roomWaiters.splice(0)) waiter();
    const all = [...this.idle.splice(0), ...running];
    await Promise.all(all.map((w) => w.terminate()));
  }

  // close stops idle threads once no task runs.
  async close() {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }
}
