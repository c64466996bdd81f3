/**
 * The "ha-guard" policy pack: `pulumi preview --policy-pack policies`. Constructing a
 * PolicyPack starts the analyzer's gRPC server, so this file does nothing else; the rules
 * live in `policies.ts` where tests and the offline runner import them.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("ha-guard", { policies });
