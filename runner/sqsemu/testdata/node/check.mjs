// Drives the emulator through @aws-sdk/client-sqs, as a Node.js service
// would: endpoint from AWS_ENDPOINT_URL_SQS, any credentials. Exits 0 and
// prints "ok" when every step behaved as SQS does; otherwise prints what
// differed and exits 1.
import {
  SQSClient,
  CreateQueueCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
} from "@aws-sdk/client-sqs";

const endpoint = process.env.AWS_ENDPOINT_URL_SQS;
if (!endpoint) {
  console.error("set AWS_ENDPOINT_URL_SQS to the emulator's URL");
  process.exit(2);
}
// The SDK reads AWS_ENDPOINT_URL_SQS itself; region and credentials come
// from the environment too (the Go test sets them).
const client = new SQSClient({});

function check(cond, what) {
  if (!cond) {
    throw new Error("check failed: " + what);
  }
}

const name = "node-check-" + process.pid;
const { QueueUrl } = await client.send(new CreateQueueCommand({
  QueueName: name,
  Attributes: { VisibilityTimeout: "30" },
}));
check(QueueUrl && QueueUrl.endsWith("/000000000000/" + name), "queue URL " + QueueUrl);

// The SDK checks MD5OfMessageBody (and attributes) on send and receive.
const sent = await client.send(new SendMessageCommand({
  QueueUrl,
  MessageBody: "héllo from node",
  MessageAttributes: {
    kind: { DataType: "String", StringValue: "greeting" },
    n: { DataType: "Number", StringValue: "7" },
    raw: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
  },
}));
check(sent.MessageId, "message id");
check(sent.MD5OfMessageAttributes, "MD5OfMessageAttributes on send");

const batch = await client.send(new SendMessageBatchCommand({
  QueueUrl,
  Entries: [
    { Id: "a", MessageBody: "batch a" },
    { Id: "b", MessageBody: "batch b" },
  ],
}));
check(batch.Successful && batch.Successful.length === 2, "batch sent two");

const received = [];
while (received.length < 3) {
  const out = await client.send(new ReceiveMessageCommand({
    QueueUrl,
    MaxNumberOfMessages: 10,
    WaitTimeSeconds: 1,
    MessageSystemAttributeNames: ["All"],
    MessageAttributeNames: ["All"],
  }));
  check(out.Messages && out.Messages.length > 0, "received messages");
  received.push(...out.Messages);
}
const hello = received.find((m) => m.Body === "héllo from node");
check(hello, "received the first message");
check(hello.Attributes.ApproximateReceiveCount === "1", "ApproximateReceiveCount");
check(Number(hello.Attributes.SentTimestamp) > 0, "SentTimestamp");
check(hello.MessageAttributes.kind.StringValue === "greeting", "string attribute");
check(hello.MessageAttributes.n.StringValue === "7", "number attribute");
check(Buffer.from(hello.MessageAttributes.raw.BinaryValue).equals(Buffer.from([1, 2, 3])), "binary attribute");

for (const m of received) {
  await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
}
const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
check(attrs.Attributes.ApproximateNumberOfMessages === "0", "queue empty");
check(attrs.Attributes.ApproximateNumberOfMessagesNotVisible === "0", "nothing in flight");

try {
  await client.send(new GetQueueUrlCommand({ QueueName: "no-such-queue-" + process.pid }));
  check(false, "missing queue must fail");
} catch (err) {
  check(err instanceof QueueDoesNotExist, "typed QueueDoesNotExist, got " + err.name);
  check(err.$metadata.httpStatusCode === 400, "HTTP 400, got " + err.$metadata.httpStatusCode);
}

console.log("ok");
