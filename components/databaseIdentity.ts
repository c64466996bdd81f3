/**
 * DatabaseIdentity: a guard that refuses, at preview, a change to a database setting that
 * can only be set when the database is created.
 *
 * Why: some database settings are create-only (the initial database's name, the master
 * user, the engine). The provider answers a change to one with a replacement, and with
 * Pulumi's create-before-delete the app is moved onto the new, empty database before the
 * old one's deletion is refused (deletion protection) or, without protection, the old
 * one is deleted. Pulumi's `protect` on the database stops the replacement too, but with
 * a message that names a resource option, not the setting that caused it or what to do.
 *
 * How: this resource records the create-only settings of one database, by config key. Its
 * provider's `check` compares the recorded values with the new ones and fails, naming the
 * key, the old and the new value and the ways forward. `check` runs in the preview, before
 * any step. Without a preview (`pulumi up --skip-preview`, the Automation API's `up`,
 * `ha-topology up`), steps run as resources register: so every other resource of the
 * adapter waits for the guard (`waitForGuard`), and none is touched when it fails (not the
 * database, not the nodes that would be pointed at a new database name, not the firewall
 * rules of a new engine's port). A key the guard has not recorded yet (a stack created by an
 * older version, or a key added later) is recorded, not refused: `protect` on the
 * databases covers that first run.
 *
 * To replace the database on purpose (start again with an empty one), remove this guard
 * from the state (`pulumi state delete <its urn>`) and unprotect the database: see README,
 * "Create-only database settings".
 *
 * The provider runs in the dynamic provider host, loaded from ha-topology's providers bundle
 * (../components/shippedDynamicResource.ts); test/dataSafety.test.ts loads the registered
 * provider as the host does and runs its check.
 */
import * as pulumi from "@pulumi/pulumi";
import { ShippedDynamicResource } from "./shippedDynamicResource";

/** What the guard records: the cloud, and each create-only setting by its config key. */
export interface DatabaseIdentityInputs {
  /** The cloud the database is on (for the message). */
  cloud: string;
  /** Config key (such as `ha-topology:database.name`) -> the value the database was created with. */
  keys: Record<string, string>;
}

/** One refused change: the engine shows `reason` and stops the preview. */
export interface IdentityFailure {
  /** The input property the failure is reported on. */
  property: string;
  /** What changed, why it is refused and what to do instead. */
  reason: string;
}

/**
 * The refusals for a change from `olds` to `news`: one per recorded key whose value
 * differs. Keys missing from `olds` (first run, or a key added later) are not refused.
 */
export function identityFailures(olds: Partial<DatabaseIdentityInputs> | undefined, news: DatabaseIdentityInputs): IdentityFailure[] {
  const recorded = (olds && olds.keys) || {};
  const failures: IdentityFailure[] = [];
  for (const key of Object.keys(news.keys).sort()) {
    const before = recorded[key];
    const after = news.keys[key];
    if (before === undefined || before === after) continue;
    failures.push({
      property: "keys",
      reason:
        `${key} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}, but it is set only when the database is created: ` +
        `on ${news.cloud} the change would replace the database with a new, empty one and move the app onto it. Nothing was changed. ` +
        `Set it back (pulumi config set --path '${key}' ${JSON.stringify(before)}); ` +
        `or, to move to ${JSON.stringify(after)}, deploy a new stack with it, dump this stack's database and restore it there, then retire this one ` +
        `(README: Troubleshooting > Create-only database settings).`,
    });
  }
  return failures;
}

/** True when both record the same keys with the same values. */
function sameKeys(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = a || {};
  const right = b || {};
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((k) => left[k] === right[k]);
}

/**
 * The guard's dynamic provider (see the module comment for what it may use). `check`
 * refuses a changed key; create and update only record the inputs; delete has nothing
 * to remove.
 */
export function databaseIdentityProvider() {
  return {
    async check(olds: Partial<DatabaseIdentityInputs>, news: DatabaseIdentityInputs) {
      return { inputs: news, failures: identityFailures(olds, news) };
    },
    async diff(_id: string, olds: DatabaseIdentityInputs, news: DatabaseIdentityInputs) {
      return { changes: olds.cloud !== news.cloud || !sameKeys(olds.keys, news.keys), replaces: [] as string[], deleteBeforeReplace: false };
    },
    async create(inputs: DatabaseIdentityInputs) {
      return { id: "database-identity", outs: { cloud: inputs.cloud, keys: inputs.keys } };
    },
    async update(_id: string, _olds: DatabaseIdentityInputs, news: DatabaseIdentityInputs) {
      return { outs: { cloud: news.cloud, keys: news.keys } };
    },
    async delete() {
      // Nothing in the cloud: the guard exists only in the state.
    },
  };
}

/**
 * A transformation that makes every resource it reaches (a component given it in
 * `transformations`, and all that component's children) depend on `guard`, so that a
 * failed check stops them all before any of them is created, updated or deleted. It adds
 * an ordering only: URNs and inputs stay as they are.
 */
export function waitForGuard(guard: pulumi.Resource): pulumi.ResourceTransformation {
  return (args) => (args.resource === guard ? undefined : { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: [guard] }) });
}

/**
 * Records the create-only settings of a database and refuses, at preview, any change to
 * them. Register it before the database, and make the database's resources `dependsOn` it.
 */
export class DatabaseIdentity extends ShippedDynamicResource {
  /** The recorded settings, by config key. */
  declare readonly keys: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DatabaseIdentityInputs, opts?: pulumi.CustomResourceOptions) {
    super("DatabaseIdentity", name, { cloud: args.cloud, keys: args.keys }, opts);
  }
}
