/**
 * The GCP platform: regional managed instance groups over >= 2 zones (one per workload)
 * behind a global external HTTPS load balancer with Google-managed certificates (public
 * web workloads, routed by host and path) or internal passthrough load balancers
 * (internal ones), GCS, Cloud SQL with REGIONAL availability on private IP, Memorystore
 * Redis STANDARD_HA, Secret Manager for every secret, and uptime checks with alerts.
 * See platform.ts for the steps, and the files beside it for each part.
 */
export { gcpPlatform } from "./platform";
