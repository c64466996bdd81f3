/**
 * The Pulumi type tokens the rules understand, per cloud. Tokens are plain strings so
 * the pack judges any stack without loading (or depending on) the cloud SDKs; each was
 * checked against the `__pulumiType` of @pulumi/aws 7, @pulumi/gcp 9,
 * @pulumi/digitalocean 4 and @pulumi/kubernetes 4.
 */

/** AWS (@pulumi/aws). The `alb` module is an alias of `lb` with its own tokens. */
export const aws = {
  autoscalingGroup: "aws:autoscaling/group:Group",
  autoscalingAttachment: "aws:autoscaling/attachment:Attachment",
  trafficSourceAttachment: "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instance: "aws:ec2/instance:Instance",
  subnet: "aws:ec2/subnet:Subnet",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  loadBalancer: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  classicLoadBalancer: "aws:elb/loadBalancer:LoadBalancer",
  listener: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  listenerRule: ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"],
  targetGroup: ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
  targetGroupAttachment: ["aws:lb/targetGroupAttachment:TargetGroupAttachment", "aws:alb/targetGroupAttachment:TargetGroupAttachment"],
  dbInstance: "aws:rds/instance:Instance",
  dbCluster: "aws:rds/cluster:Cluster",
  dbClusterInstance: "aws:rds/clusterInstance:ClusterInstance",
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  bucketVersioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  bucketEncryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketAcl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  kmsKey: "aws:kms/key:Key",
  launchConfiguration: "aws:ec2/launchConfiguration:LaunchConfiguration",
  ecsService: "aws:ecs/service:Service",
  ecsCapacityProvider: "aws:ecs/capacityProvider:CapacityProvider",
  appAutoscalingTarget: "aws:appautoscaling/target:Target",
  natGateway: "aws:ec2/natGateway:NatGateway",
  routeTable: "aws:ec2/routeTable:RouteTable",
  route: "aws:ec2/route:Route",
  routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  cacheReplicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
  cacheCluster: "aws:elasticache/cluster:Cluster",
  cloudfrontDistribution: "aws:cloudfront/distribution:Distribution",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  schedule: "aws:scheduler/schedule:Schedule",
  eventRule: "aws:cloudwatch/eventRule:EventRule",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
  docdbCluster: "aws:docdb/cluster:Cluster",
  docdbClusterInstance: "aws:docdb/clusterInstance:ClusterInstance",
  docdbClusterParameterGroup: "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
  mqBroker: "aws:mq/broker:Broker",
} as const;

/** Google Cloud (@pulumi/gcp). */
export const gcp = {
  instance: "gcp:compute/instance:Instance",
  instanceGroup: "gcp:compute/instanceGroup:InstanceGroup",
  network: "gcp:compute/network:Network",
  subnetwork: "gcp:compute/subnetwork:Subnetwork",
  regionalGroupManager: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  zonalGroupManager: "gcp:compute/instanceGroupManager:InstanceGroupManager",
  regionalAutoscaler: "gcp:compute/regionAutoscaler:RegionAutoscaler",
  zonalAutoscaler: "gcp:compute/autoscaler:Autoscaler",
  instanceTemplate: ["gcp:compute/instanceTemplate:InstanceTemplate", "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate"],
  backendService: ["gcp:compute/backendService:BackendService", "gcp:compute/regionBackendService:RegionBackendService"],
  urlMap: "gcp:compute/uRLMap:URLMap",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  forwardingRule: ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/forwardingRule:ForwardingRule"],
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
  firewall: "gcp:compute/firewall:Firewall",
  sqlInstance: "gcp:sql/databaseInstance:DatabaseInstance",
  bucket: "gcp:storage/bucket:Bucket",
  bucketIam: ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"],
  /** The authoritative bucket IAM policy: its `policyData` is the whole policy, as JSON. */
  bucketIamPolicy: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
  /** Per-object ACLs (the classic way to publish a backend bucket's files object by object). */
  objectAccessControl: "gcp:storage/objectAccessControl:ObjectAccessControl",
  objectAcl: "gcp:storage/objectACL:ObjectACL",
  /** A Cloud Storage bucket as a load balancer backend (Cloud CDN's origin for static files). */
  backendBucket: "gcp:compute/backendBucket:BackendBucket",
  gkeCluster: "gcp:container/cluster:Cluster",
  gkeNodePool: "gcp:container/nodePool:NodePool",
  bucketAccessControl: ["gcp:storage/bucketAccessControl:BucketAccessControl", "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl"],
  bucketAclList: ["gcp:storage/bucketACL:BucketACL", "gcp:storage/defaultObjectACL:DefaultObjectACL"],
  schedulerJob: "gcp:cloudscheduler/job:Job",
  cloudRunJob: "gcp:cloudrunv2/job:Job",
  firestoreDatabase: "gcp:firestore/database:Database",
  firestoreBackupSchedule: "gcp:firestore/backupSchedule:BackupSchedule",
} as const;

/** DigitalOcean (@pulumi/digitalocean). */
export const digitalocean = {
  droplet: "digitalocean:index/droplet:Droplet",
  autoscalePool: "digitalocean:index/dropletAutoscale:DropletAutoscale",
  loadBalancer: "digitalocean:index/loadBalancer:LoadBalancer",
  firewall: "digitalocean:index/firewall:Firewall",
  databaseCluster: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  spacesBucket: "digitalocean:index/spacesBucket:SpacesBucket",
  spacesBucketObject: "digitalocean:index/spacesBucketObject:SpacesBucketObject",
  spacesBucketPolicy: "digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy",
  cdn: "digitalocean:index/cdn:Cdn",
  kubernetesCluster: "digitalocean:index/kubernetesCluster:KubernetesCluster",
  app: "digitalocean:index/app:App",
} as const;

/**
 * Kubernetes (@pulumi/kubernetes), including the operators' custom resources (a
 * CustomResource's token is `kubernetes:<apiVersion>:<kind>`): CloudNativePG, Percona
 * Server for MongoDB, the MongoDB Community operator and the RabbitMQ cluster operator.
 */
export const kubernetes = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  hpa: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"],
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  cronJob: ["kubernetes:batch/v1:CronJob", "kubernetes:batch/v1beta1:CronJob"],
  postgresCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  perconaMongo: "kubernetes:psmdb.percona.com/v1:PerconaServerMongoDB",
  communityMongo: "kubernetes:mongodbcommunity.mongodb.com/v1:MongoDBCommunity",
  rabbitmqCluster: "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster",
} as const;
