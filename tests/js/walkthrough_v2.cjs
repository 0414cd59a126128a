// The AWS SDK for JavaScript v2 (end of support, still in many contact-center applications) against profilestack:
// its own serializers for the query, REST-JSON and JSON protocols. Printed as JSON for
// tests/e2e/test_javascript_sdk.py to check. Usage: node walkthrough_v2.cjs <endpoint> <unique suffix>
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
const AWS = require("aws-sdk");

const [endpoint, suffix] = process.argv.slice(2);
const config = (secretAccessKey = "test") => ({ endpoint, region: "us-east-1", accessKeyId: "test",
  secretAccessKey, maxRetries: 0 });

async function failure(request) {
  try {
    await request.promise();
    return null;
  } catch (error) {
    return { code: error.code, status: error.statusCode, message: error.message };
  }
}

async function main() {
  const out = {};
  out.identity = (await new AWS.STS(config()).getCallerIdentity({}).promise()).Arn;
  out.badSecret = await failure(new AWS.STS(config("wrong")).getCallerIdentity({}));

  const iam = new AWS.IAM(config());
  const userName = `v2-${suffix}`;
  await iam.createUser({ UserName: userName, Tags: [{ Key: "team", Value: "red" }] }).promise();
  const user = (await iam.getUser({ UserName: userName }).promise()).User;
  out.user = { UserName: user.UserName, Tags: user.Tags, CreateDateIsDate: user.CreateDate instanceof Date };
  out.missingUser = await failure(iam.getUser({ UserName: `none-${suffix}` }));

  const profiles = new AWS.CustomerProfiles(config());
  const domain = `v2${suffix}`;
  out.domain = (await profiles.createDomain({ DomainName: domain, DefaultExpirationDays: 5 }).promise()).DomainName;
  const profileId = (await profiles.createProfile({ DomainName: domain, FirstName: "Ada", PhoneNumber: "+15550100",
    Attributes: { tier: "gold" } }).promise()).ProfileId;
  out.profileId = profileId;
  out.search = (await profiles.searchProfiles({ DomainName: domain, KeyName: "_phone", Values: ["+15550100"] })
    .promise()).Items;
  out.missingDomain = await failure(profiles.getDomain({ DomainName: `none${suffix}` }));
  out.serviceRoles = (await iam.listRoles({ PathPrefix: "/aws-service-role/profile.amazonaws.com/" }).promise())
    .Roles.map((role) => role.RoleName);

  const cloudwatch = new AWS.CloudWatch(config());
  const namespace = `V2/${suffix}`;
  const dimensions = [{ Name: "Page", Value: "home" }];
  await cloudwatch.putMetricData({ Namespace: namespace, MetricData: [{ MetricName: "Clicks", Value: 2,
    Unit: "Count", Dimensions: dimensions }] }).promise();
  out.metrics = (await cloudwatch.listMetrics({ Namespace: namespace }).promise()).Metrics;
  out.sums = (await cloudwatch.getMetricStatistics({ Namespace: namespace, MetricName: "Clicks",
    Dimensions: dimensions, StartTime: new Date(Date.now() - 3600e3), EndTime: new Date(Date.now() + 60e3),
    Period: 60, Statistics: ["Sum"] }).promise()).Datapoints.map((point) => point.Sum);

  await profiles.deleteDomain({ DomainName: domain }).promise();
  // the audit trail is written within a second of a call: ask until the user's creation is there
  const cloudtrail = new AWS.CloudTrail(config());
  for (let attempt = 0; attempt < 30 && !(out.trail || []).includes("CreateUser"); attempt += 1) {
    if (attempt) await new Promise((resolve) => setTimeout(resolve, 100));
    out.trail = (await cloudtrail.lookupEvents({ LookupAttributes: [
      { AttributeKey: "ResourceName", AttributeValue: user.Arn }] }).promise()).Events.map((event) => event.EventName);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.code} ${error.statusCode} ${error.stack}\n`);
  process.exit(1);
});
