/**
 * nodes-imdsv2: AWS nodes answer the instance metadata service only with session tokens
 * (IMDSv2), which blocks SSRF-style credential theft through the app.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, type PropsCheck } from "../dispatch";
import { str } from "../props";
import { aws } from "../resourceTypes";

const requireTokens: PropsCheck = (props, report) => {
  if (str(props, "metadataOptions.httpTokens") !== "required") {
    report('instance metadata accepts IMDSv1: set metadataOptions { httpTokens: "required", httpPutResponseHopLimit: 1 }.');
  }
};

export const imdsv2: ResourceValidationPolicy = {
  name: "nodes-imdsv2",
  description: 'AWS launch templates, launch configurations and instances require IMDSv2 (metadataOptions.httpTokens "required"), so a request forgery in the app cannot read the node\'s credentials.',
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes({ [aws.launchTemplate]: requireTokens, [aws.launchConfiguration]: requireTokens, [aws.instance]: requireTokens }),
};
