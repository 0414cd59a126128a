// What a web page does with the AWS SDK for JavaScript v3 (bundled for the browser by ../in_browser.mjs): calls to
// profilestack from another origin, through the browser's CORS checks. The page's query string names the
// endpoint, a unique suffix and, optionally, a presigned URL to load as an image; the results land in
// window.results.
import { CloudWatchClient, ListMetricsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateDomainCommand, CreateProfileCommand, CustomerProfilesClient, GetDomainCommand, SearchProfilesCommand,
} from "@aws-sdk/client-customer-profiles";
import { GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const query = new URLSearchParams(window.location.search);
const endpoint = query.get("endpoint");
const suffix = query.get("suffix");
const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1 };

async function outcome(promise) {
  try {
    return { ok: await promise };
  } catch (error) {
    return { error: { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode,
      requestId: error.$metadata?.requestId } };
  }
}

// An image whose address is a presigned call: what any page can make a browser send, without script or CORS.
function loadImage(url) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve("loaded");
    image.onerror = () => resolve("not an image");
    image.src = url;
  });
}

async function calls() {
  const out = {};
  if (query.get("image")) out.image = await loadImage(query.get("image"));
  const sts = new STSClient(config);
  const profiles = new CustomerProfilesClient(config);
  out.identity = await outcome(sts.send(new GetCallerIdentityCommand({})).then((answer) => answer.Arn));
  const domain = `page${suffix}`;
  out.createDomain = await outcome(profiles.send(new CreateDomainCommand({ DomainName: domain,
    DefaultExpirationDays: 5 })).then((answer) => answer.DomainName));
  if (out.createDomain.error) return out;  // a page that may not call stops here
  const profileId = (await profiles.send(new CreateProfileCommand({ DomainName: domain, FirstName: "Ada",
    PhoneNumber: "+14155550100" }))).ProfileId;
  out.search = await outcome(profiles.send(new SearchProfilesCommand({ DomainName: domain, KeyName: "_phone",
    Values: ["+14155550100"] })).then((answer) => answer.Items.map((item) => item.ProfileId)));
  out.profileId = profileId;
  out.missingDomain = await outcome(profiles.send(new GetDomainCommand({ DomainName: `none${suffix}` })));
  out.missingUser = await outcome(new IAMClient(config).send(new GetUserCommand({ UserName: `none${suffix}` })));
  const cloudwatch = new CloudWatchClient(config);
  const namespace = `Page/${suffix}`;
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace,
    MetricData: [{ MetricName: "Clicks", Value: 1, Unit: "Count" }] }));
  out.metrics = await outcome(cloudwatch.send(new ListMetricsCommand({ Namespace: namespace }))
    .then((answer) => answer.Metrics.map((metric) => metric.MetricName)));
  return out;
}

window.results = calls().catch((error) => ({ crashed: `${error.name}: ${error.message}` }));
