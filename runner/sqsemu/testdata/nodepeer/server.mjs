// Runs the local-aws-sqs emulator on a free loopback port for
// BenchmarkServerCPUPerOp (runner/sqsemu) and prints "listening <port>".
// It stops when its standard input closes, so it never outlives the test.
import { createSqsServer } from "local-aws-sqs";

const server = await createSqsServer({
  port: 0,
  hostname: "127.0.0.1",
  accountId: "000000000000",
  emulateQueueCreationLifecycle: false,
});
const address = server.address();
process.stdout.write(`listening ${address.port}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
