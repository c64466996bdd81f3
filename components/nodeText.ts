/**
 * Which characters may reach a node. Values the user gives (env values and names,
 * secrets) and values the platform resolves (hosts, regions, ARNs) end up in cloud-init
 * user data, an env file read line by line, and root shell commands. cloud-init parses
 * with PyYAML, which reads U+0085, U+2028 and U+2029 as line breaks, and env files and
 * scripts break on other control characters: so every such value is refused, at parse
 * time (topology.ts) and again by the bootstrap (bootstrap.ts) before it renders.
 */

/**
 * The refused characters: C0 and C1 controls (U+0000-U+001F, including tab, line feed
 * and carriage return; U+007F-U+009F, including U+0085 NEXT LINE), the line and
 * paragraph separators U+2028 and U+2029, and UTF-16 surrogates that are not part of a
 * pair (they have no UTF-8 encoding: the node would receive U+FFFD or nothing).
 */
const refused = /[\p{Cc}\u2028\u2029]|\p{Cs}/u;

/** The sentence a refusal shows as what is allowed. */
export const allowedNodeText =
  "printable characters only: no control characters (tab, line breaks, U+0000-U+001F, U+007F-U+009F such as U+0085), no U+2028/U+2029 separators, no unpaired surrogates";

/** A readable name for one refused character, such as "U+2028". */
function codeName(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The first refused character of `value` ("U+2028"), or undefined when the value may reach a node. */
export function refusedCharacter(value: string): string | undefined {
  const match = refused.exec(value);
  return match ? codeName(match[0]) : undefined;
}

/** True when every character of `value` may reach a node. */
export function isNodeText(value: string): boolean {
  return !refused.test(value);
}

/**
 * A value quoted for a message on one line: JSON, with every refused character (which
 * JSON.stringify leaves raw for U+007F-U+009F, U+2028 and U+2029) written as \uXXXX, so a
 * hostile value can neither break the message's line nor hide in it.
 */
export function quoteForMessage(value: string): string {
  return escapeRawSeparators(JSON.stringify(value));
}

/** Writes the characters JSON leaves raw but a terminal or YAML reads as control or line break (U+007F-U+009F, U+2028, U+2029) as \uXXXX. */
export function escapeRawSeparators(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
