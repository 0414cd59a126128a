// The AWS SDK for JavaScript v3 against profilestack: one walk through every service, printed as JSON for
// tests/e2e/test_javascript_sdk.py to check. Usage: node walkthrough.mjs <endpoint> <unique suffix>
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, GetMetricStatisticsCommand, ListMetricsCommand,
  PutDashboardCommand, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  ConnectCampaignsV2Client, CreateCampaignCommand, DeleteCampaignCommand, DescribeCampaignCommand,
  ListCampaignsCommand,
} from "@aws-sdk/client-connectcampaignsv2";
import {
  BatchGetProfileCommand, CreateCalculatedAttributeDefinitionCommand, CreateDomainCommand, CreateProfileCommand,
  CreateSegmentDefinitionCommand, CustomerProfilesClient, DeleteDomainCommand, GetCalculatedAttributeForProfileCommand,
  GetDomainCommand, GetSegmentMembershipCommand, PutProfileObjectCommand, PutProfileObjectTypeCommand,
  SearchProfilesCommand,
} from "@aws-sdk/client-customer-profiles";
import {
  CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteServiceLinkedRoleCommand,
  DeleteUserCommand, GetRoleCommand, GetServiceLinkedRoleDeletionStatusCommand, GetUserCommand, IAMClient,
  ListRolesCommand, UpdateAssumeRolePolicyCommand, UpdateRoleDescriptionCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";

const [endpoint, suffix] = process.argv.slice(2);
const root = { accessKeyId: "test", secretAccessKey: "test" };
const config = (credentials = root) => ({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
  }
}

const out = {};
const sts = new STSClient(config());
const iam = new IAMClient(config());
const profiles = new CustomerProfilesClient(config());
const cloudwatch = new CloudWatchClient(config());

const identity = await sts.send(new GetCallerIdentityCommand({}));
out.identity = { Account: identity.Account, Arn: identity.Arn };
out.badSecret = await failure(new STSClient(config({ accessKeyId: "test", secretAccessKey: "wrong" }))
  .send(new GetCallerIdentityCommand({})));
out.unknownKey = await failure(new STSClient(config({ accessKeyId: "AKIAUNKNOWN0000000000", secretAccessKey: "x" }))
  .send(new GetCallerIdentityCommand({})));

const userName = `js-${suffix}`;
await iam.send(new CreateUserCommand({ UserName: userName, Path: "/js/", Tags: [{ Key: "team", Value: "red" }] }));
const user = (await iam.send(new GetUserCommand({ UserName: userName }))).User;
out.user = { UserName: user.UserName, Path: user.Path, Arn: user.Arn, Tags: user.Tags,
  CreateDateIsDate: user.CreateDate instanceof Date };
const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
const asUser = config({ accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
out.userIdentity = (await new STSClient(asUser).send(new GetCallerIdentityCommand({}))).Arn;
out.userDenied = await failure(new IAMClient(asUser).send(new ListRolesCommand({})));
const token = (await new STSClient(asUser).send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials;
const asSession = config({ accessKeyId: token.AccessKeyId, secretAccessKey: token.SecretAccessKey,
  sessionToken: token.SessionToken });
out.sessionIdentity = (await new STSClient(asSession).send(new GetCallerIdentityCommand({}))).Arn;
out.missingUser = await failure(iam.send(new GetUserCommand({ UserName: `nobody-${suffix}` })));

const domain = `js${suffix}`;
const profileRoles = async () => (await iam.send(new ListRolesCommand({
  PathPrefix: "/aws-service-role/profile.amazonaws.com/", MaxItems: 1000 }))).Roles.map((role) => role.RoleName);
const rolesBefore = new Set(await profileRoles());
out.createDomain = (await profiles.send(new CreateDomainCommand({ DomainName: domain, DefaultExpirationDays: 30 })))
  .DomainName;
out.serviceRoles = await profileRoles();
// The seed: the domain's own role (the one that appeared with it; other tests' domains share the server),
// changeable only in its description, not deletable while the domain uses it
const domainArn = `arn:aws:profile:us-east-1:${identity.Account}:domains/${domain}`;
const newRoles = out.serviceRoles.filter((name) => !rolesBefore.has(name));
if (newRoles.length !== 1) throw new Error(`CreateDomain made ${newRoles.length} roles: ${newRoles}`);
const roleName = newRoles[0];
const seedRole = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
out.seedRole = { Path: seedRole.Path,
  trustedBy: JSON.parse(decodeURIComponent(seedRole.AssumeRolePolicyDocument)).Statement[0].Principal.Service };
await iam.send(new UpdateRoleDescriptionCommand({ RoleName: roleName, Description: `for ${domain}` }));
out.seedDescription = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role.Description;
out.seedTrustChange = await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName,
  PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
    Principal: { AWS: identity.Arn }, Action: "sts:AssumeRole" }] }) })));
const task = (await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: roleName }))).DeletionTaskId;
let deletion = { Status: "NOT_STARTED" };
for (let attempt = 0; attempt < 100 && ["NOT_STARTED", "IN_PROGRESS"].includes(deletion.Status); attempt += 1) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  deletion = await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task }));
}
out.seedDeletion = { Status: deletion.Status, Region: deletion.Reason?.RoleUsageList?.[0]?.Region,
  Resources: deletion.Reason?.RoleUsageList?.[0]?.Resources, domainArn };
out.domainRole = (await profiles.send(new GetDomainCommand({ DomainName: domain }))).DomainName;
const address = { City: "London", Country: "UK" };
const created = await profiles.send(new CreateProfileCommand({
  DomainName: domain, FirstName: "Ada", PhoneNumber: "+15550100", Address: address, Attributes: { tier: "gold" },
}));
const found = await profiles.send(new SearchProfilesCommand({ DomainName: domain, KeyName: "_phone",
  Values: ["+15550100"] }));
out.search = found.Items.map((item) => ({ ProfileId: item.ProfileId, FirstName: item.FirstName,
  Address: item.Address, Attributes: item.Attributes, FoundByItems: item.FoundByItems }));
const batch = await profiles.send(new BatchGetProfileCommand({ DomainName: domain,
  ProfileIds: [created.ProfileId, "0".repeat(32)] }));
out.batch = { ids: batch.Profiles.map((profile) => profile.ProfileId), errors: batch.Errors.map((e) => e.Code) };
out.createdProfile = created.ProfileId;
await profiles.send(new PutProfileObjectTypeCommand({ DomainName: domain, ObjectTypeName: "Order",
  Description: "orders", AllowProfileCreation: true,
  Fields: { id: { Source: "_source.id" }, phone: { Source: "_source.phone", Target: "_profile.PhoneNumber",
    ContentType: "PHONE_NUMBER" } },
  Keys: { _orderId: [{ StandardIdentifiers: ["UNIQUE"], FieldNames: ["id"] }],
    _phone: [{ StandardIdentifiers: ["PROFILE"], FieldNames: ["phone"] }] } }));
out.putObject = (await profiles.send(new PutProfileObjectCommand({ DomainName: domain, ObjectTypeName: "Order",
  Object: JSON.stringify({ id: "o-1", phone: "+15550100" }) }))).ProfileObjectUniqueKey;
await profiles.send(new CreateCalculatedAttributeDefinitionCommand({ DomainName: domain,
  CalculatedAttributeName: "orders", Statistic: "COUNT", UseHistoricalData: true,
  AttributeDetails: { Attributes: [{ Name: "id" }], Expression: "{Order.id}" } }));
const orders = await profiles.send(new GetCalculatedAttributeForProfileCommand({ DomainName: domain,
  CalculatedAttributeName: "orders", ProfileId: created.ProfileId }));
out.calculated = { Value: orders.Value, IsDataPartial: orders.IsDataPartial,
  LastObjectTimestampIsDate: orders.LastObjectTimestamp instanceof Date };
await profiles.send(new CreateSegmentDefinitionCommand({ DomainName: domain, SegmentDefinitionName: "buyers",
  DisplayName: "Buyers", SegmentGroups: { Include: "ALL", Groups: [{ Type: "ALL", Dimensions: [
    { CalculatedAttributes: { orders: { DimensionType: "GREATER_THAN", Values: ["0"] } } }] }] } }));
const membership = await profiles.send(new GetSegmentMembershipCommand({ DomainName: domain,
  SegmentDefinitionName: "buyers", ProfileIds: [created.ProfileId] }));
out.membership = membership.Profiles.map((item) => [item.ProfileId, item.QueryResult, item.Profile?.FirstName]);
out.missingDomain = await failure(profiles.send(new GetDomainCommand({ DomainName: `none${suffix}` })));
out.invalidDomainName = await failure(profiles.send(new GetDomainCommand({ DomainName: "not valid!" })));

const namespace = `JS/${suffix}`;
await cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: [
  { MetricName: "Orders", Value: 3, Unit: "Count", Dimensions: [{ Name: "Shop", Value: "north" }] },
  { MetricName: "Orders", Value: 5, Unit: "Count", Dimensions: [{ Name: "Shop", Value: "north" }] },
] }));
out.metrics = (await cloudwatch.send(new ListMetricsCommand({ Namespace: namespace }))).Metrics
  .map((metric) => ({ MetricName: metric.MetricName, Dimensions: metric.Dimensions }));
const now = Date.now();
const statistics = await cloudwatch.send(new GetMetricStatisticsCommand({ Namespace: namespace,
  MetricName: "Orders", Dimensions: [{ Name: "Shop", Value: "north" }], StartTime: new Date(now - 3600_000),
  EndTime: new Date(now + 60_000), Period: 3600 * 2, Statistics: ["Sum", "SampleCount"] }));
out.statistics = statistics.Datapoints.map((point) => ({ Sum: point.Sum, SampleCount: point.SampleCount }));
// Over 10 KiB the SDK sends PutMetricData's body gzip-compressed.
const bulk = new CloudWatchClient(config());
const encodings = [];
bulk.middlewareStack.add((next) => async (args) => {
  encodings.push(args.request.headers["content-encoding"] ?? null);
  return next(args);
}, { step: "finalizeRequest", name: "seeContentEncoding" });
await bulk.send(new PutMetricDataCommand({ Namespace: `${namespace}/Bulk`, MetricData: Array.from({ length: 300 },
  (_, i) => ({ MetricName: "Latency", Value: i, Dimensions: [{ Name: "Host", Value: `host-${i}` }] })) }));
let bulkMetrics = 0;
let nextToken;
do {
  const page = await cloudwatch.send(new ListMetricsCommand({ Namespace: `${namespace}/Bulk`, NextToken: nextToken }));
  bulkMetrics += page.Metrics.length;
  nextToken = page.NextToken;
} while (nextToken);
out.compressedPut = { encodings, metrics: bulkMetrics };
out.reservedNamespace = await failure(cloudwatch.send(new PutMetricDataCommand({ Namespace: "AWS/JS",
  MetricData: [{ MetricName: "x", Value: 1 }] })));
await cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: `orders-${suffix}`, Namespace: namespace,
  MetricName: "Orders", Dimensions: [{ Name: "Shop", Value: "north" }], Statistic: "Sum", Period: 60,
  EvaluationPeriods: 1, Threshold: 100, ComparisonOperator: "GreaterThanThreshold" }));
for (let tries = 0; tries < 100; tries += 1) {  // its first evaluation (queued when put) comes first
  const first = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`orders-${suffix}`] }));
  if (first.MetricAlarms[0].StateValue !== "INSUFFICIENT_DATA") break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: `orders-${suffix}`, StateValue: "ALARM",
  StateReason: "from JavaScript" }));
const alarm = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`orders-${suffix}`] }))).MetricAlarms[0];
out.alarm = { Threshold: alarm.Threshold, Dimensions: alarm.Dimensions, StateReason: alarm.StateReason,
  UpdatedIsDate: alarm.StateUpdatedTimestamp instanceof Date };
out.missingAlarm = await failure(cloudwatch.send(new SetAlarmStateCommand({ AlarmName: `none-${suffix}`,
  StateValue: "OK", StateReason: "none" })));
await cloudwatch.send(new PutDashboardCommand({ DashboardName: `shop-${suffix}`,
  DashboardBody: JSON.stringify({ widgets: [{ type: "text", properties: { markdown: "# Shop" } }] }) }));
out.dashboard = (await cloudwatch.send(new GetDashboardCommand({ DashboardName: `shop-${suffix}` }))).DashboardArn;

const campaigns = new ConnectCampaignsV2Client(config());
const campaign = await campaigns.send(new CreateCampaignCommand({ name: `winback-${suffix}`,
  connectInstanceId: "i-1", source: { eventTrigger: {
    customerProfilesDomainArn: `arn:aws:profile:us-east-1:${identity.Account}:domains/${domain}` } } }));
const described = (await campaigns.send(new DescribeCampaignCommand({ id: campaign.id }))).campaign;
out.campaign = { name: described.name, arn: described.arn === campaign.arn,
  listed: (await campaigns.send(new ListCampaignsCommand({}))).campaignSummaryList.some((c) => c.id === campaign.id) };
await campaigns.send(new DeleteCampaignCommand({ id: campaign.id }));
out.deletedCampaign = await failure(campaigns.send(new DescribeCampaignCommand({ id: campaign.id })));

await profiles.send(new DeleteDomainCommand({ DomainName: domain }));
const trail = await new CloudTrailClient(config()).send(new LookupEventsCommand({
  LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: user.Arn }], MaxResults: 50 }));
out.trail = trail.Events.map((event) => ({ EventName: event.EventName,
  source: JSON.parse(event.CloudTrailEvent).eventSource }));

await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: key.AccessKeyId }));
await iam.send(new DeleteUserCommand({ UserName: userName }));
console.log(JSON.stringify(out));
