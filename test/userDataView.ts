/**
 * Reading cloud-init user data in tests: every write_files entry is base64 (`encoding:
 * b64`), so assertions about file contents read a decoded view, and the secrets audit
 * looks inside the encoded files too.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parse, stringify } from "yaml";

interface WriteFile {
  path: string;
  encoding?: string;
  content: string;
  [key: string]: unknown;
}

/**
 * The user data with each base64 file decoded in place (and its `encoding` key dropped),
 * i.e. what the node writes to disk, as YAML: for assertions only, never for a node.
 */
export function decodedUserData(text: string): string {
  if (!text.startsWith("#cloud-config\n")) return text;
  const config = parse(text, { version: "1.1" }) as { write_files?: WriteFile[] };
  for (const file of config.write_files ?? []) {
    if (file.encoding === "b64") {
      file.content = Buffer.from(file.content, "base64").toString("utf8");
      delete file.encoding;
    }
  }
  return `#cloud-config\n${stringify(config, { version: "1.1", lineWidth: 0 })}`;
}

/**
 * A string as it appears, plus what a reader could decode from it: a base64 user data (as
 * AWS launch templates hold it) and the files inside a cloud-config. The secrets audit
 * searches all of these, since base64 hides a secret from a plain text search.
 */
export function readableForms(value: string): string[] {
  const forms = [value];
  const text = cloudConfigOf(value);
  if (text !== undefined && text !== value) forms.push(text);
  for (const form of [...forms]) if (form.startsWith("#cloud-config\n")) forms.push(decodedUserData(form));
  return forms;
}

/** The cloud-config a string holds: itself, or decoded from base64 (as AWS launch templates hold it); undefined for any other string. */
export function cloudConfigOf(value: string): string | undefined {
  if (value.startsWith("#cloud-config\n")) return value;
  const trimmed = value.trim();
  if (trimmed.length < 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, "base64").toString("utf8");
  return decoded.startsWith("#cloud-config\n") ? decoded : undefined;
}

/**
 * The interpreter cloud-init runs on: the system Python with the distribution's PyYAML
 * (Debian's python3-yaml, which .ci/run installs), not whatever `python3` a PATH puts first
 * (a pyenv or venv build may lack PyYAML, or carry another version of it).
 */
export const cloudInitPython = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** What PyYAML made of one user data: the object, and each file's content base64-decoded as cloud-init does. */
export interface PyYamlView {
  config: Record<string, unknown> & { write_files: { path: string; owner: string; permissions: string; encoding: string; content: string }[] };
  files: Record<string, string>;
}

/**
 * Parses user data documents with PyYAML's SafeLoader (cloud-init's loader derives from
 * it), fed as raw UTF-8 bytes on stdin (NUL-separated: NUL can never be in user data).
 * Decodes each `encoding: b64` file with Python's base64 and UTF-8, strictly.
 */
export function pyyaml(texts: string[]): PyYamlView[] {
  const script = [
    "import base64, json, sys, yaml",
    "out = []",
    "for doc in sys.stdin.buffer.read().split(b'\\0'):",
    "    config = yaml.load(doc, Loader=yaml.SafeLoader)",
    "    files = {}",
    "    for f in config.get('write_files') or []:",
    "        if f.get('encoding') == 'b64':",
    "            files[f['path']] = base64.b64decode(f['content'], validate=True).decode('utf-8')",
    "    out.append({'config': config, 'files': files})",
    "json.dump(out, sys.stdout, ensure_ascii=True)",
  ].join("\n");
  for (const t of texts) assert.ok(!t.includes("\0"), "user data never holds NUL");
  const result = spawnSync(cloudInitPython, ["-c", script], { input: Buffer.from(texts.join("\0"), "utf8"), maxBuffer: 64 * 1024 * 1024 });
  assert.ifError(result.error);
  assert.equal(result.status, 0, `PyYAML refused the user data:\n${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString("utf8")) as PyYamlView[];
}
