/**
 * How AWS nodes pull a private image. From ECR: the node role may pull from exactly the
 * repository `nodes.image` names (plus `ecr:GetAuthorizationToken`, which has no resource
 * scope), and the node logs docker in with a fresh token before each pull (tokens last
 * 12 hours). From any other registry: the `ha-topology:registry` credentials are kept in
 * Secrets Manager and read with the node role at each start, like the app's secrets.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { shellQuote, type RegistryLogin } from "../../bootstrap";
import type { EcrRegistry, Registry } from "../../imageReference";
import { credentialsLogin } from "../../registryLogin";

/** The IAM statements that let the nodes pull from one ECR repository, and nothing else. */
export function ecrPullStatements(registry: EcrRegistry): aws.types.input.iam.GetPolicyDocumentStatementArgs[] {
  return [
    // GetAuthorizationToken takes no resource: AWS documents "*" as its only scope.
    { sid: "EcrLoginToken", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
    {
      sid: "PullOwnImageRepository",
      actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      resources: [ecrRepositoryArn(registry)],
    },
  ];
}

/** The ARN of the repository an ECR image is in. */
export function ecrRepositoryArn(registry: EcrRegistry): string {
  return `arn:${registry.partition}:ecr:${registry.region}:${registry.account}:repository/${registry.repository}`;
}

/** The boot-time ECR login: the token goes from the AWS CLI to docker through a pipe, never argv. */
export function ecrLogin(registry: EcrRegistry): RegistryLogin {
  return {
    description: `ECR ${registry.host}`,
    command: `aws ecr get-login-password --region ${shellQuote(registry.region)} | docker login --username AWS --password-stdin ${shellQuote(registry.host)}`,
  };
}

/** A login with credentials read from a Secrets Manager secret (`{"username", "password"}`), pinned to a version. */
export function secretsManagerLogin(host: string, arn: string, region: string, versionId: string): RegistryLogin {
  return credentialsLogin(
    `${host} (credentials from Secrets Manager)`,
    host,
    `aws secretsmanager get-secret-value --region ${shellQuote(region)} --secret-id ${shellQuote(arn)} --version-id ${shellQuote(versionId)} --query SecretString --output text`,
  );
}

/**
 * What the user must know when an ECR image lies in another region or account: a pull
 * across regions works but depends on that region and costs transfer; the role's grant
 * is necessary but another account's repository policy must also allow it.
 */
export function ecrPlacementNotes(registry: EcrRegistry, stackRegion: string | undefined, accountId: string | undefined): string[] {
  return [
    ...(stackRegion && registry.region !== stackRegion
      ? [`nodes.image is in ECR in ${registry.region}, the stack in ${stackRegion}: pulls cross regions (transfer is billed, and new nodes depend on ${registry.region}); an ECR replication rule to ${stackRegion} avoids both`]
      : []),
    ...(accountId && accountId !== registry.account
      ? [`nodes.image is in ECR of account ${registry.account}, the nodes' role in ${accountId}: the repository's policy in ${registry.account} must also allow the role (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability)`]
      : []),
  ];
}

/** Logs `ecrPlacementNotes` once the stack's region and account are known. */
export function explainEcrPlacement(registry: EcrRegistry, stackRegion: pulumi.Input<string>, accountId: pulumi.Input<string | undefined>, parent: pulumi.Resource): void {
  pulumi.all([stackRegion, accountId]).apply(([region, own]) => {
    for (const note of ecrPlacementNotes(registry, region, own)) pulumi.log.info(note, parent);
  });
}

/** True when the image is in ECR (the role grants and the ECR login apply). */
export function isEcr(registry: Registry): registry is EcrRegistry {
  return registry.kind === "ecr";
}
