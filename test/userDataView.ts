/**
 * Reading cloud-init user data in tests: every write_files entry is base64 (`encoding:
 * b64`), so assertions about file contents read a decoded view, and the secrets audit
 * looks inside the encoded files too.
 */
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
  const trimmed = value.trim();
  if (trimmed.length >= 16 && /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, "base64").toString("utf8");
    if (decoded.startsWith("#cloud-config\n")) forms.push(decoded);
  }
  for (const form of [...forms]) if (form.startsWith("#cloud-config\n")) forms.push(decodedUserData(form));
  return forms;
}
