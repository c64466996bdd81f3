/**
 * queue-replicated, queue-private, queue-encrypted: a message broker survives a zone
 * failure, is not reachable from the internet and takes TLS only: Amazon MQ brokers
 * (RabbitMQ and ActiveMQ) and the RabbitMQ cluster operator's RabbitmqCluster. A Valkey or
 * Redis broker is a cache store, judged by the cache-* (ElastiCache) and database-*
 * (DigitalOcean) rules.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { bool, num, objects, str } from "../props";
import { aws, kubernetes } from "../resourceTypes";
import { describe, type StackView } from "../stackView";
import { zoneKey } from "./documents";

const relevant = (view: StackView) => view.ofType([aws.mqBroker, kubernetes.rabbitmqCluster]).length > 0;
const noQueues = "the stack has no message broker (Amazon MQ Broker or RabbitmqCluster)";

/** The Multi-AZ deployment mode of each Amazon MQ engine. */
const multiAzMode: Record<string, string> = { rabbitmq: "CLUSTER_MULTI_AZ", activemq: "ACTIVE_STANDBY_MULTI_AZ" };

/** True when a RabbitmqCluster's pods are kept in different zones. */
function rabbitSpreadsOverZones(cr: PolicyResource): boolean {
  const anti = [
    ...objects(cr.props, "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
    ...objects(cr.props, "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution").map((p) => ({ topologyKey: str(p, "podAffinityTerm.topologyKey") })),
  ];
  const spread = objects(cr.props, "spec.override.statefulSet.spec.template.spec.topologySpreadConstraints");
  return [...anti, ...spread].some((t) => str(t.topologyKey) === zoneKey);
}

export const queueReplication: StackValidationPolicy = {
  name: "queue-replicated",
  description:
    "Message brokers keep running when a zone fails: an Amazon MQ RabbitMQ broker with deploymentMode CLUSTER_MULTI_AZ, an ActiveMQ broker " +
    "with ACTIVE_STANDBY_MULTI_AZ (SINGLE_INSTANCE, the default, is one node); a RabbitmqCluster with spec.replicas 3 or more (the " +
    `operator's default is 1) spread over zones (spec.affinity podAntiAffinity, or override.statefulSet topologySpreadConstraints, on ${zoneKey}).`,
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(relevant, noQueues, (view, report) => {
    for (const broker of view.ofType(aws.mqBroker)) {
      const engine = (str(broker.props.engineType) ?? "").toLowerCase();
      const wanted = multiAzMode[engine];
      const mode = str(broker.props.deploymentMode) ?? "SINGLE_INSTANCE";
      if (wanted && mode !== wanted) report(`${describe(broker)} is a ${mode} ${str(broker.props.engineType)} broker: set deploymentMode to "${wanted}" for nodes in several zones (changing it replaces the broker).`, broker.urn);
    }
    for (const cr of view.ofType(kubernetes.rabbitmqCluster)) {
      const replicas = num(cr.props, "spec.replicas") ?? 1;
      if (replicas < 3) report(`${describe(cr)} runs ${replicas} RabbitMQ node(s): set spec.replicas to 3 or more (quorum queues need a majority; the operator's default is 1).`, cr.urn);
      else if (!rabbitSpreadsOverZones(cr)) report(`${describe(cr)} does not spread its nodes over zones: add a spec.affinity podAntiAffinity term (or an override.statefulSet topologySpreadConstraint) on ${zoneKey}.`, cr.urn);
    }
  }),
};

export const queuePrivate: StackValidationPolicy = {
  name: "queue-private",
  description:
    "Message brokers are reachable from the nodes only: Amazon MQ publiclyAccessible false; a RabbitmqCluster's spec.service.type not LoadBalancer.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(relevant, noQueues, (view, report) => {
    for (const broker of view.ofType(aws.mqBroker)) {
      if (broker.props.publiclyAccessible === true) report(`${describe(broker)} is publicly accessible: set publiclyAccessible to false and put it in the nodes' subnets with a security group admitting the nodes.`, broker.urn);
    }
    for (const cr of view.ofType(kubernetes.rabbitmqCluster)) {
      if (str(cr.props, "spec.service.type") === "LoadBalancer") report(`${describe(cr)} is exposed through a LoadBalancer Service: set spec.service.type to ClusterIP (the default).`, cr.urn);
    }
  }),
};

export const queueEncryption: StackValidationPolicy = {
  name: "queue-encrypted",
  description:
    "Message brokers take TLS only: a RabbitmqCluster with spec.tls.secretName and spec.tls.disableNonTLSListeners true. Amazon MQ passes: " +
    "it always encrypts at rest, RabbitMQ brokers listen on amqps only and ActiveMQ brokers on TLS transports only.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(relevant, noQueues, (view, report) => {
    for (const cr of view.ofType(kubernetes.rabbitmqCluster)) {
      if (!str(cr.props, "spec.tls.secretName")) report(`${describe(cr)} has no TLS certificate: set spec.tls.secretName (and caSecretName) and spec.tls.disableNonTLSListeners true.`, cr.urn);
      else if (bool(cr.props, "spec.tls.disableNonTLSListeners") !== true) report(`${describe(cr)} still listens in clear text: set spec.tls.disableNonTLSListeners to true.`, cr.urn);
    }
  }),
};
