/**
 * The AWS platform: VPC over >= 2 zones, one ALB with ACM TLS routing every public web
 * workload, an internal ALB per internal one, an autoscaling group per workload with
 * instance refresh, S3, RDS Multi-AZ, ElastiCache, Secrets Manager for every secret,
 * CloudWatch Logs for each workload's output, and CloudWatch alarms (platform.ts).
 */
export { awsPlatform } from "./platform";
