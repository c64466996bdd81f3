/**
 * The table of bad configurations: each must stop the program before anything is
 * registered, with a message naming the key, the value received and what is allowed.
 * Used by the parser tests and by the program tests (through a stack's config).
 */

/** One bad input. */
export interface BadInput {
  /** What is wrong, as the test title. */
  what: string;
  /** `ha-topology` keys to set, or qualified provider keys ("aws:region") (objects merge into the stack's; undefined removes a key). */
  raw: Record<string, unknown>;
  /** The key the message must name: after "ha-topology:", or a qualified provider key ("aws:regoin"). */
  key: string;
  /** The received value as the message must show it. */
  received: string;
  /** A fragment of what is allowed. */
  allowed: string;
  /** The example stack whose config it is applied to (default "aws"): cloud-specific cases need that cloud's provider settings. */
  stack?: string;
}

export const badInputs: BadInput[] = [
  { what: "one node", raw: { nodes: { count: 1 } }, key: "nodes.count", received: "1", allowed: "integer from 2 to 1000" },
  { what: "zero nodes", raw: { nodes: { count: 0 } }, key: "nodes.count", received: "0", allowed: "at least two nodes" },
  { what: "negative nodes", raw: { nodes: { count: -3 } }, key: "nodes.count", received: "-3", allowed: "integer from 2" },
  { what: "node count as a word", raw: { nodes: { count: "two" } }, key: "nodes.count", received: '"two"', allowed: "integer from 2" },
  { what: "fractional node count", raw: { nodes: { count: 2.5 } }, key: "nodes.count", received: "2.5", allowed: "integer from 2" },
  { what: "unknown cloud", raw: { cloud: "azure" }, key: "cloud", received: '"azure"', allowed: "aws, gcp, digitalocean, kubernetes" },
  { what: "missing domain", raw: { domain: undefined }, key: "domain", received: "nothing", allowed: "DNS name" },
  { what: "domain with a scheme", raw: { domain: "https://app.example.com" }, key: "domain", received: '"https://app.example.com"', allowed: "no scheme" },
  { what: "single-label domain", raw: { domain: "localhost" }, key: "domain", received: '"localhost"', allowed: "at least two labels" },
  { what: "IP address as domain", raw: { domain: "10.0.0.1" }, key: "domain", received: '"10.0.0.1"', allowed: "DNS name" },
  { what: "upper-case domain", raw: { domain: "App.Example.com" }, key: "domain", received: '"App.Example.com"', allowed: "lower-case" },
  { what: "health path without slash", raw: { healthCheck: { path: "health" } }, key: "healthCheck.path", received: '"health"', allowed: 'starting with "/"' },
  { what: "timeout not below interval", raw: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }, key: "healthCheck.timeoutSeconds", received: "10", allowed: "fewer seconds than healthCheck.intervalSeconds (10)" },
  { what: "port zero", raw: { nodes: { port: 0 } }, key: "nodes.port", received: "0", allowed: "integer from 1 to 65535" },
  { what: "port too high", raw: { nodes: { port: 70000 } }, key: "nodes.port", received: "70000", allowed: "integer from 1 to 65535" },
  { what: "backups under a week", raw: { database: { backupRetentionDays: 3 } }, key: "database.backupRetentionDays", received: "3", allowed: "integer from 7 to 35" },
  { what: "maxCount below count", raw: { nodes: { count: 4, maxCount: 3 } }, key: "nodes.maxCount", received: "3", allowed: "at least nodes.count (4)" },
  { what: "image without a tag", raw: { nodes: { image: "nginx" } }, key: "nodes.image", received: '"nginx"', allowed: "explicit tag or digest" },
  { what: "image tagged latest", raw: { nodes: { image: "nginx:latest" } }, key: "nodes.image", received: '"nginx:latest"', allowed: 'not "latest"' },
  { what: "MySQL version without a minor", raw: { database: { engine: "mysql", version: 8 } }, key: "database.version", received: '"8"', allowed: "major.minor" },
  { what: "unknown database engine", raw: { database: { engine: "oracle" } }, key: "database.engine", received: '"oracle"', allowed: "postgres or mysql" },
  { what: "versioning turned off", raw: { storage: { versioning: false } }, key: "storage.versioning", received: "false", allowed: "cannot be turned off" },
  { what: "one zone", raw: { network: { zones: 1 } }, key: "network.zones", received: "1", allowed: "at least two zones" },
  { what: "unknown NAT mode", raw: { network: { natGateways: "shared" } }, key: "network.natGateways", received: '"shared"', allowed: "per-zone, single, none" },
  { what: "malformed CIDR", raw: { network: { cidr: "10.0.0.0/33" } }, key: "network.cidr", received: '"10.0.0.0/33"', allowed: "IPv4 CIDR" },
  { what: "size that is not an AWS size", raw: { nodes: { size: "s-1vcpu-1gb" } }, key: "nodes.size", received: '"s-1vcpu-1gb"', allowed: 'aws node size such as "t3.large"' },
  { what: "database size without db. prefix", raw: { database: { size: "t3.micro" } }, key: "database.size", received: '"t3.micro"', allowed: "db.r6g.large" },
  { what: "nodes not an object", raw: { nodes: 3 }, key: "nodes", received: "3", allowed: "an object (the app nodes)" },
  { what: "reserved env name", raw: { nodes: { env: { DATABASE_HOST: "x" } } }, key: "nodes.env.DATABASE_HOST", received: '"DATABASE_HOST"', allowed: "platform does not set" },
  { what: "multi-line env value", raw: { nodes: { env: { GREETING: "a\nb" } } }, key: "nodes.env.GREETING", received: '"a\\nb"', allowed: "single-line" },
  { what: "secret also in env", raw: { nodes: { env: { API_KEY: "x" } }, secrets: { API_KEY: "y" } }, key: "secrets.API_KEY", received: "[secret]", allowed: "not also used in nodes.env" },
  { what: "reserved database user", raw: { database: { username: "admin" } }, key: "database.username", received: '"admin"', allowed: "not reserved" },
  { what: "existing VPC without subnets", raw: { network: { vpcId: "vpc-0123456789abcdef0" } }, key: "network.publicSubnetIds", received: "nothing", allowed: "one per zone" },
  { what: "malformed hosted zone", raw: { dns: { zone: "example.com" } }, key: "dns.zone", received: '"example.com"', allowed: "Route 53 hosted zone ID" },
  { what: "certificate that is not an ACM ARN", raw: { tls: { certificate: "my-cert" } }, key: "tls.certificate", received: '"my-cert"', allowed: "ACM certificate ARN" },
  { what: "mysql on kubernetes", raw: { cloud: "kubernetes", database: { engine: "mysql" } }, key: "database.engine", received: '"mysql"', allowed: "CloudNativePG" },
  { what: "misspelled key", raw: { nodes: { cuont: 3 } }, key: "nodes.cuont", received: "3", allowed: 'did you mean "count"?' },
  { what: "log retention CloudWatch does not offer", raw: { logs: { retentionDays: 31 } }, key: "logs.retentionDays", received: "31", allowed: "one of the periods CloudWatch Logs accepts, in days: 1, 3, 5, 7, 14, 30, 60" },
  { what: "log retention as a word", raw: { logs: { retentionDays: "month" } }, key: "logs.retentionDays", received: '"month"', allowed: "periods CloudWatch Logs accepts" },
  { what: "logs not an object", raw: { logs: 30 }, key: "logs", received: "30", allowed: "an object (log shipping) with the keys retentionDays" },
  { what: "misspelled logs key", raw: { logs: { retentionDay: 30 } }, key: "logs.retentionDay", received: "30", allowed: 'did you mean "retentionDays"?' },
  { what: "log retention on gcp (Cloud Logging keeps the project's)", stack: "gcp", raw: { logs: { retentionDays: 30 } }, key: "logs.retentionDays", received: "30", allowed: "unset on gcp (only the CloudWatch log group" },
  { what: "log retention on digitalocean", stack: "digitalocean", raw: { logs: { retentionDays: 7 } }, key: "logs.retentionDays", received: "7", allowed: "read on aws" },
  { what: "misspelled top-level key", raw: { healthcheck: { path: "/" } }, key: "healthcheck", received: '{"path":"/"}', allowed: 'did you mean "healthCheck"?' },
  { what: "unknown cloud", raw: { cloud: "azure" }, key: "cloud", received: '"azure"', allowed: "aws, gcp, digitalocean, kubernetes" },
  { what: "unknown session engine", raw: { sessions: { enabled: true, engine: "memcached" } }, key: "sessions.engine", received: '"memcached"', allowed: "valkey" },
  { what: "bucket settings on a cloud that creates the bucket", raw: { storage: { bucket: "my-files" } }, key: "storage.bucket", received: '"my-files"', allowed: "unset on aws" },
  { what: "bucket secret key on aws, never printed", raw: { storage: { secretAccessKey: "wJalrXUtnFEMI-do-not-print" } }, key: "storage.secretAccessKey", received: "[secret]", allowed: "unset on aws" },
  { what: "Route 53 zone on gcp", stack: "gcp", raw: { dns: { zone: "Z0123456789ABCDEFGHIJ" } }, key: "dns.zone", received: '"Z0123456789ABCDEFGHIJ"', allowed: "Cloud DNS managed zone name" },
  { what: "ACM certificate on gcp", stack: "gcp", raw: { tls: { certificate: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" } }, key: "tls.certificate", received: '"arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-00000...', allowed: "global SSL certificate" },
  { what: "AWS instance type on gcp", stack: "gcp", raw: { nodes: { size: "t3.small" } }, key: "nodes.size", received: '"t3.small"', allowed: 'gcp node size such as "n2-standard-2"' },
  { what: "cache node type as a Memorystore size", stack: "gcp", raw: { sessions: { enabled: true, size: "cache.t4g.micro" } }, key: "sessions.size", received: '"cache.t4g.micro"', allowed: "(GiB)" },
  { what: "DigitalOcean without a DNS domain or a certificate", stack: "digitalocean", raw: { dns: undefined }, key: "dns.zone", received: "nothing", allowed: "a domain managed in DigitalOcean DNS" },
  { what: "DigitalOcean domain that does not contain the domain", stack: "digitalocean", raw: { dns: { zone: "example.org" } }, key: "dns.zone", received: '"example.org"', allowed: "a DigitalOcean domain that contains app.example.com" },
  { what: "SSH from the whole internet", stack: "digitalocean", raw: { network: { sshSourceCidrs: ["0.0.0.0/0"] } }, key: "network.sshSourceCidrs.0", received: '"0.0.0.0/0"', allowed: "never the whole internet" },
  { what: "RDS class on DigitalOcean", stack: "digitalocean", raw: { database: { size: "db.t4g.micro" } }, key: "database.size", received: '"db.t4g.micro"', allowed: "digitalocean database size" },
  { what: "Kubernetes without the bucket endpoint", stack: "kubernetes", raw: { storage: { endpoint: undefined } }, key: "storage.endpoint", received: "nothing", allowed: "set on kubernetes" },
  { what: "plain-HTTP bucket endpoint", stack: "kubernetes", raw: { storage: { endpoint: "http://minio.local:9000" } }, key: "storage.endpoint", received: '"http://minio.local:9000"', allowed: "an https URL" },
  { what: "one database instance on Kubernetes", stack: "kubernetes", raw: { kubernetes: { databaseInstances: 1 } }, key: "kubernetes.databaseInstances", received: "1", allowed: "at least one streaming standby" },
  { what: "invalid namespace", stack: "kubernetes", raw: { kubernetes: { namespace: "Web_App" } }, key: "kubernetes.namespace", received: '"Web_App"', allowed: "a namespace name" },
  { what: "AWS instance type as pod resources", stack: "kubernetes", raw: { nodes: { size: "t3.small" } }, key: "nodes.size", received: '"t3.small"', allowed: "kubernetes node size" },
  { what: "misspelled Kubernetes key", stack: "kubernetes", raw: { kubernetes: { ingresClassName: "nginx" } }, key: "kubernetes.ingresClassName", received: '"nginx"', allowed: 'did you mean "ingressClassName"?' },
  { what: "registry credentials for the public demo image", raw: { registry: { username: "acme-bot", password: "never-printed-0123" } }, key: "registry", received: "[secret]", allowed: "public demo image" },
  { what: "registry credentials for an ECR image on aws", raw: { nodes: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2" }, registry: { username: "AWS", password: "never-printed-0123" } }, key: "registry", received: "[secret]", allowed: "grants the nodes' IAM role pull access" },
  { what: "registry password on two lines, never printed", raw: { nodes: { image: "ghcr.io/acme/web:1.4.2" }, registry: { username: "acme-bot", password: "line-one\nline-two" } }, key: "registry.password", received: "[secret]", allowed: "on one line" },
  { what: "registry credentials without a password", raw: { nodes: { image: "ghcr.io/acme/web:1.4.2" }, registry: { username: "acme-bot" } }, key: "registry.password", received: "nothing", allowed: "a registry password or token" },
  { what: "DOCR image on aws without credentials", raw: { nodes: { image: "registry.digitalocean.com/acme/web:1.4.2" } }, key: "registry", received: "nothing", allowed: "always private" },
  { what: "ECR image on gcp", stack: "gcp", raw: { nodes: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2" } }, key: "nodes.image", received: '"123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2"', allowed: "ECR accepts only AWS identities" },
  { what: "Artifact Registry image without a repository", stack: "gcp", raw: { nodes: { image: "europe-west1-docker.pkg.dev/my-gcp-project/api:1.4.2" } }, key: "nodes.image", received: '"europe-west1-docker.pkg.dev/my-gcp-project/api:1.4.2"', allowed: "the repository and the image name are both needed" },
  { what: "registry credentials for a DOCR image on digitalocean", stack: "digitalocean", raw: { nodes: { image: "registry.digitalocean.com/acme/web:1.4.2" }, registry: { username: "dop_v1_x", password: "dop_v1_x" } }, key: "registry", received: "[secret]", allowed: "read-only DigitalOcean Container Registry credentials" },
  { what: "ECR credentials on kubernetes", stack: "kubernetes", raw: { nodes: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2" }, registry: { username: "AWS", password: "never-printed-0123" } }, key: "registry", received: "[secret]", allowed: "expire after 12 hours" },
  // Zones and regions, checked against components/regionZones.ts before any resource.
  { what: "more zones than the GCP region has", stack: "gcp", raw: { network: { zones: 4 } }, key: "network.zones", received: "4", allowed: "at most 3, the zones gcp region europe-west1 offers" },
  { what: "more zones than the AWS region has", stack: "aws", raw: { "aws:region": "eu-west-3", network: { zones: 4 } }, key: "network.zones", received: "4", allowed: "at most 3, the zones aws region eu-west-3 offers" },
  { what: "unknown AWS region", stack: "aws", raw: { "aws:region": "eu-west-9" }, key: "aws:region", received: '"eu-west-9"', allowed: 'an AWS region this version knows (did you mean "eu-west-1"?)' },
  { what: "AWS region with a command in it", stack: "aws", raw: { "aws:region": "us-east-1;reboot" }, key: "aws:region", received: '"us-east-1;reboot"', allowed: 'an AWS region name such as "us-east-1"' },
  { what: "misspelled GCP region", stack: "gcp", raw: { "gcp:region": "europe-west01" }, key: "gcp:region", received: '"europe-west01"', allowed: 'did you mean "europe-west1"?' },
  { what: "unknown DigitalOcean region", stack: "digitalocean", raw: { "digitalocean:region": "fra2" }, key: "digitalocean:region", received: '"fra2"', allowed: 'a DigitalOcean region this version knows (did you mean "fra1"?)' },
  // Provider keys the provider does not read, and misspelled namespaces.
  { what: "misspelled aws:region", stack: "aws", raw: { "aws:regoin": "eu-west-1" }, key: "aws:regoin", received: '"eu-west-1"', allowed: 'did you mean "aws:region"?' },
  { what: "misspelled gcp:project", stack: "gcp", raw: { "gcp:projet": "my-gcp-project" }, key: "gcp:projet", received: '"my-gcp-project"', allowed: 'did you mean "gcp:project"?' },
  { what: "misspelled digitalocean:token, never printed", stack: "digitalocean", raw: { "digitalocean:tokne": "dop_v1_do-not-print" }, key: "digitalocean:tokne", received: "[secret]", allowed: 'did you mean "digitalocean:token"?' },
  { what: "misspelled provider namespace", stack: "digitalocean", raw: { "digitalocen:region": "fra1" }, key: "digitalocen:region", received: '"fra1"', allowed: 'did you mean "digitalocean:region"?' },
  // Values that can never work.
  { what: "database version with a minor part as a YAML number (16.10 reads as 16.1)", raw: { database: { version: 16.1 } }, key: "database.version", received: "16.1", allowed: 'quote a version with a minor part ("16.10")' },
  { what: "PostgreSQL version RDS does not offer", raw: { database: { version: "10" } }, key: "database.version", received: '"10"', allowed: "a PostgreSQL version aws offers" },
  { what: "MySQL version DigitalOcean does not offer", stack: "digitalocean", raw: { database: { engine: "mysql", version: "8.4" } }, key: "database.version", received: '"8.4"', allowed: "a MySQL version digitalocean offers" },
  { what: "VPC range with host bits set", raw: { network: { cidr: "10.0.0.1/16" } }, key: "network.cidr", received: '"10.0.0.1/16"', allowed: 'no host bits set, such as "10.0.0.0/16"' },
  { what: "VPC too small for the AWS load balancer's subnets", raw: { network: { cidr: "10.0.0.0/24" } }, key: "network.cidr", received: '"10.0.0.0/24"', allowed: "the load balancer needs /27 subnets" },
  { what: "AWS subnets too small for nodes.maxCount", raw: { nodes: { maxCount: 40 }, network: { cidr: "10.0.0.0/23" } }, key: "network.cidr", received: '"10.0.0.0/23"', allowed: "needs 40 per zone" },
  { what: "GCP subnet too small for nodes.maxCount", stack: "gcp", raw: { nodes: { count: 300, maxCount: 300 }, network: { cidr: "10.0.0.0/24" } }, key: "network.cidr", received: '"10.0.0.0/24"', allowed: "holds 252 nodes" },
  { what: "public VPC range on DigitalOcean", stack: "digitalocean", raw: { network: { cidr: "8.8.0.0/16" } }, key: "network.cidr", received: '"8.8.0.0/16"', allowed: "a private (RFC 1918) range on digitalocean" },
  { what: "VPC range DigitalOcean reserves", stack: "digitalocean", raw: { network: { cidr: "10.244.0.0/16" } }, key: "network.cidr", received: '"10.244.0.0/16"', allowed: "DigitalOcean reserves" },
  { what: "SSH from a wide public range", stack: "digitalocean", raw: { network: { sshSourceCidrs: ["203.0.0.0/16"] } }, key: "network.sshSourceCidrs.0", received: '"203.0.0.0/16"', allowed: "a public one of /24 or longer" },
  { what: "ACM certificate from another region", stack: "aws", raw: { tls: { certificate: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" } }, key: "tls.certificate", received: '"arn:aws:acm:eu-west-1:', allowed: "an ACM certificate in the stack's region us-east-1" },
  { what: "Memorystore larger than the Standard tier allows", stack: "gcp", raw: { sessions: { enabled: true, size: "500" } }, key: "sessions.size", received: '"500"', allowed: "from 1 to 300 (GiB)" },
  { what: "DigitalOcean database plan too small for a standby", stack: "digitalocean", raw: { database: { size: "db-s-1vcpu-1gb" } }, key: "database.size", received: '"db-s-1vcpu-1gb"', allowed: "at least 2 GiB of memory" },
  { what: "Kubernetes system namespace", stack: "kubernetes", raw: { kubernetes: { namespace: "kube-system" } }, key: "kubernetes.namespace", received: '"kube-system"', allowed: "a namespace of the app's own" },
  { what: "the ingress controller's namespace", stack: "kubernetes", raw: { kubernetes: { namespace: "ingress-nginx" } }, key: "kubernetes.namespace", received: '"ingress-nginx"', allowed: "a namespace of the app's own" },
  // Keys another cloud reads: refused rather than ignored.
  { what: "Kubernetes settings on aws", raw: { kubernetes: { namespace: "web" } }, key: "kubernetes", received: '{"namespace":"web"}', allowed: "unset on aws" },
  { what: "SSH sources on gcp", stack: "gcp", raw: { network: { sshSourceCidrs: ["203.0.113.0/24"] } }, key: "network.sshSourceCidrs", received: '["203.0.113.0/24"]', allowed: "unset on gcp" },
  { what: "NAT mode on DigitalOcean", stack: "digitalocean", raw: { network: { natGateways: "single" } }, key: "network.natGateways", received: '"single"', allowed: "unset on digitalocean" },
  { what: "zones on DigitalOcean", stack: "digitalocean", raw: { network: { zones: 3 } }, key: "network.zones", received: "3", allowed: "DigitalOcean regions have no zones" },
  { what: "env name __proto__ (JavaScript would drop it silently)", raw: { nodes: { env: JSON.parse('{"__proto__": "x", "LOG_LEVEL": "info"}') } }, key: "nodes.env.__proto__", received: '"__proto__"', allowed: "a key other than __proto__" },
  { what: "env name that is a command", raw: { nodes: { env: { "$(id)": "x" } } }, key: "nodes.env.$(id)", received: '"$(id)"', allowed: "an environment variable name: letters, digits and _" },
  // Values that reach a node: refused characters are shown escaped, secrets never.
  { what: "env value with U+2028 (a line break to cloud-init's YAML parser)", raw: { nodes: { env: { GREETING: "hi\u2028bootcmd: [touch, /pwned]" } } }, key: "nodes.env.GREETING", received: '"hi\\u2028bootcmd: [touch, /pwned]"', allowed: "no U+2028/U+2029 separators" },
  { what: "env value with U+0085 (next line)", stack: "gcp", raw: { nodes: { env: { GREETING: "a\u0085b" } } }, key: "nodes.env.GREETING", received: '"a\\u0085b"', allowed: "U+007F-U+009F such as U+0085" },
  { what: "env value with an escape sequence", stack: "digitalocean", raw: { nodes: { env: { BANNER: "\u001b[31mred" } } }, key: "nodes.env.BANNER", received: '"\\u001b[31mred"', allowed: "no control characters" },
  { what: "env value with a lone surrogate", raw: { nodes: { env: { NAME: "x\ud800" } } }, key: "nodes.env.NAME", received: '"x\\ud800"', allowed: "no unpaired surrogates" },
  { what: "secret value with U+2029, never printed", stack: "digitalocean", raw: { secrets: { API_KEY: "k-do-not-print\u2029runcmd:" } }, key: "secrets.API_KEY", received: "[secret]", allowed: "no U+2028/U+2029 separators" },
  // Values a VM can never run with.
  { what: "port 22 on a VM (sshd holds it)", raw: { nodes: { port: 22 } }, key: "nodes.port", received: "22", allowed: "where sshd listens on 22" },
  { what: "port 53 on a VM (the DNS stub resolver holds it)", stack: "gcp", raw: { nodes: { port: 53 } }, key: "nodes.port", received: "53", allowed: "systemd-resolved" },
  { what: "port 22 on DigitalOcean", stack: "digitalocean", raw: { nodes: { port: 22 } }, key: "nodes.port", received: "22", allowed: "a port other than 22 and 53 on digitalocean" },
  { what: "no grace period for booting nodes", raw: { healthCheck: { gracePeriodSeconds: 0 } }, key: "healthCheck.gracePeriodSeconds", received: "0", allowed: "an integer from 60 to 7200 on aws" },
  { what: "grace period shorter than a boot on gcp", stack: "gcp", raw: { healthCheck: { gracePeriodSeconds: 30 } }, key: "healthCheck.gracePeriodSeconds", received: "30", allowed: "replaced before they start, forever" },
  { what: "grace period beyond GCP's autohealing limit", stack: "gcp", raw: { healthCheck: { gracePeriodSeconds: 5000 } }, key: "healthCheck.gracePeriodSeconds", received: "5000", allowed: "an integer from 60 to 3600 on gcp" },
  { what: "user data over AWS's 16 KB", stack: "aws", raw: { nodes: { env: largeEnv(200, 60) } }, key: "nodes.env", received: "201 variables (17476 bytes in the user data)", allowed: "user data of at most 16383 bytes on aws" },
  { what: "secrets over DigitalOcean's 64 KiB of user data, never printed", stack: "digitalocean", raw: { secrets: largeEnv(300, 200) }, key: "secrets", received: "[secret]", allowed: "user data of at most 65536 bytes on digitalocean" },
];

/** The key as the message names it: provider keys as given, the others in the ha-topology namespace. */
export function qualifiedKey(key: string): string {
  return key.includes(":") ? key : `ha-topology:${key}`;
}

/** `count` variables V0, V1... of `length` characters each: a stack file with a very large environment. */
function largeEnv(count: number, length: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`V${i}`, "x".repeat(length)]));
}

/** The table as the README's troubleshooting section lists it (a test keeps the two equal). */
export function badInputsMarkdown(table: readonly BadInput[] = badInputs): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, "\\n");
  const rows = table.map(
    (b) => `| ${cell(b.what)} | ${b.stack ?? "aws"} | \`${cell(qualifiedKey(b.key))}\` | ${cell(b.received)} | ${cell(b.allowed)} |`,
  );
  return ["| Bad input | Stack | The message names | Received | Allowed (excerpt) |", "|---|---|---|---|---|", ...rows].join("\n");
}
