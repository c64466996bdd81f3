/**
 * The model of document databases and brokers (issue 18): defaults per cloud, the bindings
 * each cloud gives (names, secrecy, the CA file where a private CA signs the certificate),
 * and the connection URLs every platform builds through one helper.
 */
import { strict as assert } from "node:assert";
import { stackConfigWith } from "../../automation/stackFiles";
import { caFilePath, resourceBinding, workloadEnv } from "../../components/model/bindings";
import type { DocumentResource, QueueResource } from "../../components/model/model";
import { parseStack } from "../../components/model/parse";
import { amqpsUrl, mongodbUrl, valkeyBrokerUrl } from "../../components/connectionUrls";
import type { Cloud } from "../../components/sizes";
import { decodeRawConfig, providerConfigOf } from "../../components/stackConfig";
import { ns } from "../programQueries";
import { api, maps } from "./badModelInputs";

const clouds: Cloud[] = ["aws", "gcp", "digitalocean", "kubernetes"];
/** The S3 bucket a Kubernetes stack declares (the cluster has none). */
const s3 = { kind: "bucket", endpoint: "https://s3.example.com", bucket: "files", region: "us-east-1", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example-secret" };

function parse(cloud: Cloud, resources: Record<string, unknown>) {
  const web = cloud === "digitalocean" ? { ...api, path: undefined } : api;
  const values = stackConfigWith(cloud, ns(maps({ api: web }, { ...resources, ...(cloud === "kubernetes" && { files: s3 }) }))).values;
  return parseStack(decodeRawConfig(values), providerConfigOf(values)).model;
}

describe("model: document databases and brokers", function () {
  for (const cloud of clouds) {
    it(`${cloud}: defaults (engine, members, backups, names) and a Valkey broker beside RabbitMQ where there is one`, function () {
      const queues = cloud === "aws" || cloud === "kubernetes" ? { broker: { kind: "queue" }, tasks: { kind: "queue", engine: "valkey" } } : { tasks: { kind: "queue", engine: "valkey" } };
      const model = parse(cloud, { events: { kind: "document" }, ...queues });
      const events = model.resources.find((r) => r.name === "events") as DocumentResource;
      assert.deepEqual(
        { engine: events.engine, members: events.members, backupRetentionDays: events.backupRetentionDays, databaseName: events.databaseName, username: events.username, size: events.size, storageGb: events.storageGb },
        { engine: "mongodb", members: cloud === "aws" ? 2 : 3, backupRetentionDays: 7, databaseName: "app", username: "app", size: "small", storageGb: 10 },
      );
      const tasks = model.resources.find((r) => r.name === "tasks") as QueueResource;
      assert.equal(tasks.engine, "valkey");
      if ("broker" in queues) assert.equal((model.resources.find((r) => r.name === "broker") as QueueResource).engine, "rabbitmq");
    });

    it(`${cloud}: the bindings: EVENTS_URL and the credentials secret, the CA file only where a private CA signs the certificate`, function () {
      const model = parse(cloud, { events: { kind: "document" }, tasks: { kind: "queue", engine: "valkey" } });
      const env = new Map(workloadEnv(model, model.workloads[0] as never).map((v) => [v.name, v.secret]));
      assert.equal(env.get("EVENTS_URL"), true);
      assert.equal(env.get("EVENTS_USER"), true);
      assert.equal(env.get("EVENTS_PASSWORD"), true);
      assert.equal(env.get("EVENTS_HOSTS"), false);
      assert.equal(env.get("EVENTS_NAME"), false);
      assert.equal(env.has("EVENTS_CA_FILE"), cloud !== "gcp", "Firestore's certificate is public; DocumentDB's, DigitalOcean's and the operator's are not");
      // A Valkey broker is a cache's store: a password (and a secret URL) where the store has one.
      assert.equal(env.get("TASKS_URL"), cloud === "digitalocean" || cloud === "kubernetes");
      assert.equal(env.has("TASKS_PASSWORD"), cloud === "digitalocean" || cloud === "kubernetes");
      assert.equal(env.has("TASKS_CA_FILE"), cloud === "gcp", "Memorystore's CA is private");
    });
  }

  it("a RabbitMQ broker's binding: a secret amqps URL and credentials; a CA file where the cluster's issuer signs it", function () {
    for (const cloud of ["aws", "kubernetes"] as const) {
      const model = parse(cloud, { broker: { kind: "queue" } });
      const fields = resourceBinding(model.resources.find((r) => r.name === "broker")!, cloud);
      assert.deepEqual(
        fields.map((f) => [f.env, f.secret]),
        [["BROKER_URL", true], ["BROKER_HOST", false], ["BROKER_PORT", false], ["BROKER_USER", true], ["BROKER_PASSWORD", true], ...(cloud === "kubernetes" ? [["BROKER_CA_FILE", false]] : [])],
      );
    }
  });

  it("the CA file's path is the resource's own, under one directory the platforms mount", function () {
    assert.equal(caFilePath("events"), "/etc/ha-topology/ca/events.pem");
  });

  it("the MongoDB URL names every member, TLS on, the CA file, and percent-encodes the credentials", function () {
    const url = mongodbUrl({ user: "app", password: "p@ss:w/rd%", hosts: ["a.example:27017", "b.example:27017"], database: "app", replicaSet: "rs0", caFile: caFilePath("events"), options: { retryWrites: "false" } });
    assert.equal(url, "mongodb://app:p%40ss%3Aw%2Frd%25@a.example:27017,b.example:27017/app?tls=true&replicaSet=rs0&tlsCAFile=/etc/ha-topology/ca/events.pem&retryWrites=false");
    const [, password] = /^mongodb:\/\/[^:]+:([^@]+)@/.exec(url)!;
    assert.equal(decodeURIComponent(password!), "p@ss:w/rd%");
  });

  it("the AMQP URL is amqps on the default vhost, credentials percent-encoded", function () {
    assert.equal(amqpsUrl("app", "a/b:c", "b-1.mq.example", 5671), "amqps://app:a%2Fb%3Ac@b-1.mq.example:5671/%2F");
  });

  it("the Valkey broker URL carries what Celery requires of rediss (ssl_cert_reqs), and the CA file where private", function () {
    assert.equal(valkeyBrokerUrl("10.0.0.3", 6378, undefined, caFilePath("tasks")), "rediss://10.0.0.3:6378/0?ssl_cert_reqs=required&ssl_ca_certs=/etc/ha-topology/ca/tasks.pem");
    assert.equal(valkeyBrokerUrl("vk.example", 25061, "s3cr#t"), "rediss://:s3cr%23t@vk.example:25061/0?ssl_cert_reqs=required");
  });
});
