/**
 * Reads YAML the way the Pulumi CLI reads stack files, so the offline plan sees the
 * values `pulumi up` will see. The CLI decodes `Pulumi.<stack>.yaml` with Go's
 * gopkg.in/yaml.v2 (sdk/go/common/encoding/marshal.go) into untyped values, then hands
 * object values to the program as JSON. That reader follows YAML 1.1 in places where the
 * `yaml` package's default (YAML 1.2) does not:
 *
 * - `010` is octal (8), `0x1F` hex, `0b101` binary, `1_000` is 1000;
 * - `yes`, `no`, `on`, `off`, `y`, `n` (any case form Go lists) are booleans;
 * - `<<` merges a map (or a list of maps) into the one it appears in.
 *
 * This reader resolves every plain scalar with Go's rules (resolve.go) and applies merges
 * as Go does. Where the two readers could still disagree, or where the value cannot reach
 * the program intact, it refuses with the file, the key and what to write instead: a
 * merge that would override a key written before it (Go lets the merge win), duplicate
 * keys (Go silently keeps the last), unquoted timestamps, `.inf`/`.nan` (JSON has no such
 * numbers), integers beyond 2^53, keys that are not strings, and explicit tags.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, Scalar } from "yaml";

/**
 * Sets an own property, also for the key `__proto__` (a plain assignment would replace the
 * object's prototype and lose the entry), so the program sees what the file says and can
 * refuse it by name.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A stack file the offline reader would read differently from the Pulumi CLI, or cannot read. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** Go's YAML 1.1 booleans and nulls (yaml.v2 resolve.go's table). */
const goWords = new Map<string, boolean | null>([
  ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((w) => [w, true] as const),
  ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((w) => [w, false] as const),
  ...["", "~", "null", "Null", "NULL"].map((w) => [w, null] as const),
]);

const specialFloats = new Set([".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"]);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const timestampLike = /^\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d*)?\s*([Zz]|[-+]\d{1,2}(:\d{2})?)?)?$/;

/** The result of resolving one plain scalar: a value, or why it must be written differently. */
type Resolved = { value: unknown } | { refuse: string };

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64): a BigInt, or undefined when neither parses. */
function goParseInt(s: string): bigint | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!match) return undefined;
  const [, sign, body] = match;
  let digits = body;
  if (/^0[0-7]+$/.test(body)) digits = `0o${body.slice(1)}`; // a leading 0 means octal in Go's base 0
  const magnitude = BigInt(digits.replace(/^0([XOB])/, (_m, p: string) => `0${p.toLowerCase()}`));
  const value = sign === "-" ? -magnitude : magnitude;
  const fitsInt = value >= -(2n ** 63n) && value < 2n ** 63n;
  const fitsUint = sign === "" && value >= 0n && value < 2n ** 64n;
  return fitsInt || fitsUint ? value : undefined;
}

/** Resolves a plain (unquoted, untagged) scalar as yaml.v2 does when decoding into an untyped value. */
export function resolvePlain(text: string): Resolved {
  if (goWords.has(text)) return { value: goWords.get(text) };
  if (specialFloats.has(text)) return { refuse: "an infinite or NaN number, which JSON (how the program receives config) cannot carry; quote it if you mean the text" };
  const first = text[0];
  if (first === ".") {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? { value: Number(text) } : { value: text };
  }
  if (first !== "+" && first !== "-" && !(first >= "0" && first <= "9")) return { value: text };
  if (timestampLike.test(text)) return { refuse: "an unquoted date or timestamp, which Pulumi's YAML reader turns into a Go time value; quote it" };
  const plain = text.replace(/_/g, "");
  const int = goParseInt(plain);
  if (int !== undefined) {
    if (int > BigInt(Number.MAX_SAFE_INTEGER) || int < -BigInt(Number.MAX_SAFE_INTEGER)) {
      return { refuse: "an integer beyond 2^53, which loses digits on its way to the program; quote it" };
    }
    return { value: Number(int) };
  }
  if (yamlStyleFloat.test(plain)) {
    const value = Number(plain);
    return Number.isFinite(value) ? { value } : { refuse: "a number too large for a 64-bit float; quote it" };
  }
  return { value: text };
}

/** Renders a key path as messages show it: `config.ha-topology:nodes.port`. */
function pathText(path: readonly (string | number)[]): string {
  return path.length === 0 ? "(the document)" : path.map(String).join(".");
}

/** Converts a parsed document's nodes to values with Go's semantics, refusing what would differ. */
class GoReader {
  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  private fail(node: Node | null | undefined, path: readonly (string | number)[], problem: string): never {
    const offset = node?.range?.[0];
    const where = offset === undefined ? "" : ` (line ${this.lines.linePos(offset).line})`;
    throw new StackFileError(`${this.file}: ${pathText(path)}${where}: ${problem}`);
  }

  value(node: unknown, path: (string | number)[], depth = 0): unknown {
    if (depth > 100) this.fail(undefined, path, "aliases nested more than 100 deep (a recursive alias?)");
    if (node === null || node === undefined) return null; // `key:` with no value
    if (isAlias(node)) return this.value(node.resolve(this.doc), path, depth + 1);
    if (isScalar(node)) return this.scalar(node, path);
    if (isSeq(node)) {
      this.checkTag(node, path, "tag:yaml.org,2002:seq");
      return node.items.map((item, i) => this.value(item, [...path, i], depth + 1));
    }
    if (isMap(node)) return this.map(node, path, depth);
    return this.fail(undefined, path, "a YAML construct the stack reader does not support");
  }

  private checkTag(node: Node, path: (string | number)[], allowed: string): void {
    if (node.tag !== undefined && node.tag !== allowed) {
      this.fail(node, path, `the explicit tag ${node.tag} (tags are resolved differently by Pulumi's Go reader); remove it and quote the value if it is text`);
    }
  }

  private scalar(node: Scalar, path: (string | number)[]): unknown {
    this.checkTag(node, path, "tag:yaml.org,2002:str");
    const text = String(node.value);
    if (node.tag !== undefined || node.type !== Scalar.PLAIN) return text;
    const resolved = resolvePlain(text);
    if ("refuse" in resolved) this.fail(node, path, `${JSON.stringify(text)} is ${resolved.refuse}`);
    return resolved.value;
  }

  /** The maps a `<<` value merges: a map, an alias to one, or a list of those. */
  private mergeSources(node: unknown, path: (string | number)[], depth: number): Record<string, unknown>[] {
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (isMap(target)) return [this.map(target, path, depth + 1)];
    if (isSeq(target)) {
      return target.items.map((item) => {
        const map = isAlias(item) ? item.resolve(this.doc) : item;
        if (!isMap(map)) this.fail(target, path, "a `<<` merge whose list holds something other than maps; list maps (or aliases to maps) only");
        return this.map(map, path, depth + 1);
      });
    }
    return this.fail(isScalar(target) ? target : undefined, path, "a `<<` merge of something other than a map; merge a map, an alias to one, or a list of them");
  }

  private map(node: import("yaml").YAMLMap, path: (string | number)[], depth: number): Record<string, unknown> {
    this.checkTag(node, path, "tag:yaml.org,2002:map");
    const out: Record<string, unknown> = {};
    const written = new Set<string>(); // keys written in this map (not merged)
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      if (isScalar(keyNode) && keyNode.type === Scalar.PLAIN && keyNode.tag === undefined && keyNode.value === "<<") {
        // Earlier maps in a merge list win (Go applies them last to first); a merge also
        // overrides keys written before it in Go, against the YAML spec: refuse that order.
        const sources = this.mergeSources(pair.value, [...path, "<<"], depth);
        const merged: Record<string, unknown> = {};
        for (const source of [...sources].reverse()) for (const [k, v] of Object.entries(source)) setOwn(merged, k, v);
        for (const key of Object.keys(merged)) {
          if (written.has(key)) {
            this.fail(keyNode, [...path, key], `set before a \`<<\` merge that sets it too (Pulumi's Go reader lets the merge win); put \`<<\` first in the map, then the keys that override it`);
          }
        }
        for (const [k, v] of Object.entries(merged)) setOwn(out, k, v);
        continue;
      }
      const key = this.key(keyNode, path);
      if (written.has(key)) this.fail(isScalar(keyNode) ? keyNode : undefined, [...path, key], "a key that appears twice in the same map (Pulumi's Go reader silently keeps the last one); keep one");
      written.add(key);
      setOwn(out, key, this.value(pair.value, [...path, key], depth + 1));
    }
    return out;
  }

  private key(node: unknown, path: (string | number)[]): string {
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (!isScalar(target)) return this.fail(undefined, path, "a map key that is not a scalar; keys must be text");
    const value = this.scalar(target, [...path, String(target.value)]);
    if (typeof value !== "string") {
      this.fail(target, [...path, String(target.value)], `the key ${JSON.stringify(String(target.value))}, which Pulumi's Go reader reads as ${JSON.stringify(value)}; quote the key`);
    }
    return value;
  }
}

/**
 * Parses one YAML document as the Pulumi CLI does; `file` names it in messages. Throws a
 * StackFileError for syntax errors and for every construct the two readers would read
 * differently.
 */
export function parseGoYaml(text: string, file: string): unknown {
  const lines = new LineCounter();
  // Go strips a UTF-8 byte-order mark before parsing (workspace/loaders.go).
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // The failsafe schema keeps every scalar as written: GoReader resolves them.
  const doc = parseDocument(source, { schema: "failsafe", uniqueKeys: false, merge: false, lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new StackFileError(`${file}: line ${lines.linePos(error.pos[0]).line}: invalid YAML: ${error.message.split("\n")[0]}`);
  }
  return new GoReader(doc, file, lines).value(doc.contents, []);
}
