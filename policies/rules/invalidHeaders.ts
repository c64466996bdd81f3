/**
 * lb-drop-invalid-headers: an ALB passes malformed header fields to the app unless told
 * not to (request smuggling defence). Other clouds' load balancers drop them already.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, sameCheck } from "../dispatch";
import { str } from "../props";
import { aws } from "../resourceTypes";

export const invalidHeaders: ResourceValidationPolicy = {
  name: "lb-drop-invalid-headers",
  description: "Application load balancers drop invalid HTTP header fields (dropInvalidHeaderFields: true) instead of passing them to the app.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateResource: forTypes(
    sameCheck(aws.loadBalancer, (props, report) => {
      if ((str(props.loadBalancerType) ?? "application") === "application" && props.dropInvalidHeaderFields !== true) {
        report("dropInvalidHeaderFields is off: set it to true so the ALB drops malformed header fields.");
      }
    }),
  ),
};
