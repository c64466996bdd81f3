/**
 * A workload's environment as a container's `env` on Kubernetes (the several-workloads
 * model): the composer's bound variables (compose.ts `boundEnv`) turned into entries
 * that hold no secret value.
 *
 * - A plain variable is a plain `value`.
 * - A secret binding field (`DB_PASSWORD`, `SECRET_KEY`, `FILES_SECRET_ACCESS_KEY`) is a
 *   `secretKeyRef` to the one Kubernetes Secret of its resource, so a secret lives in one
 *   Secret however many workloads use it, and the pod spec names it without holding it.
 * - An app secret (`ha-topology:secrets`) is a `secretKeyRef` to `<name>-app-secrets`.
 * - A user variable that references a secret field (`DATABASE_URL: ${resources.db.url}`)
 *   is written with Kubernetes' dependent variables: `$(DB_URL)`. The kubelet expands it
 *   from the workload's own `DB_URL` (always defined earlier in the list: a reference is
 *   accepted only to a resource the workload uses, whose variables come first), so the
 *   value is assembled in the pod, never written into the pod spec.
 *
 * The kubelet expands `$(NAME)` and reduces `$$` to `$` in every `value`, so literal text
 * is escaped (`$` -> `$$`): a value reaches the app exactly as the stack file wrote it.
 *
 * Rotation: a secret's new value changes its Secret, not the pod spec, and pods read
 * their environment only when they start. The pod template therefore carries a checksum
 * of the workload's secret values (`secretChecksumAnnotation`): a new value is a new
 * checksum, a new pod template, a rolling update.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BoundVariable } from "../../compose";
import { resourceBinding } from "../../model/bindings";
import type { ContainerWorkload, Model } from "../../model/model";

/** Where a secret field of a resource is kept: a key of a Kubernetes Secret. */
export interface SecretKeyRef {
  /** The Secret's name. */
  name: pulumi.Input<string>;
  /** The key. */
  key: string;
}

/** The pod template annotation whose value changes with any of the workload's secret values. */
export const secretChecksumAnnotation = "ha-topology/secret-checksum";

/** Escapes literal text for a container `value` (the kubelet expands `$(...)` and `$$`). */
export function escapeEnvValue(value: string): string {
  return value.replace(/\$/g, "$$$$");
}

/** What the env builder needs to know besides the variables. */
export interface EnvContext {
  /** The model (the bindings' variable names). */
  model: Model;
  /** The workload. */
  workload: ContainerWorkload;
  /** The secret fields' Secrets, by resource name, then field. */
  secretRefs: Map<string, Record<string, SecretKeyRef>>;
  /** The Secret holding `ha-topology:secrets` (one key each), when there are app secrets. */
  appSecretName?: pulumi.Input<string>;
}

/** The container env entries of `variables`, in their order (platform, bindings, internal URLs, app secrets, own). */
export function containerEnv(ctx: EnvContext, variables: readonly BoundVariable[]): pulumi.Input<k8s.types.input.core.v1.EnvVar>[] {
  return variables.map((v): pulumi.Input<k8s.types.input.core.v1.EnvVar> => {
    if (!v.secret) return { name: v.name, value: v.value.apply(escapeEnvValue) };
    const s = v.source;
    if ("resource" in s) {
      const ref = ctx.secretRefs.get(s.resource)?.[s.field];
      if (!ref) throw new Error(`kubernetes: resource ${s.resource} keeps no Secret for its secret field ${s.field}`);
      return { name: v.name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
    }
    if ("appSecret" in s) {
      if (!ctx.appSecretName) throw new Error(`kubernetes: app secret ${s.appSecret} has no Secret`);
      return { name: v.name, valueFrom: { secretKeyRef: { name: ctx.appSecretName, key: s.appSecret } } };
    }
    if ("env" in s) return { name: v.name, value: dependentValue(ctx, s.env) };
    throw new Error(`kubernetes: variable ${v.name} is secret but has no Secret to come from`);
  });
}

/** A user variable as literal text (escaped) and `$(VAR)` references to the bindings' variables. */
function dependentValue(ctx: EnvContext, env: string): string {
  return (ctx.workload.env[env] ?? [])
    .map((part) => {
      if (typeof part === "string") return escapeEnvValue(part);
      const resource = ctx.model.resources.find((r) => r.name === part.resource);
      const field = resource && resourceBinding(resource, ctx.model.cloud).find((f) => f.field === part.field);
      if (!field) throw new Error(`kubernetes: reference to ${part.resource}.${part.field} has no binding`);
      return `$(${field.env})`;
    })
    .join("");
}

/**
 * The checksum of the secret values among `variables` (names and values, in name order),
 * or undefined when there is none. A SHA-256 of the values: one-way, and secret in
 * Pulumi's state too (it is computed from secrets); Helm charts roll pods the same way
 * (a `checksum/secret` annotation).
 */
export function secretChecksum(variables: readonly BoundVariable[]): pulumi.Output<string> | undefined {
  const secret = variables.filter((v) => v.secret).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (secret.length === 0) return undefined;
  return pulumi.all(secret.map((v) => v.value)).apply((values) => {
    const hash = createHash("sha256");
    secret.forEach((v, i) => hash.update(`${v.name}\0${values[i]}\0`));
    return hash.digest("hex");
  });
}
