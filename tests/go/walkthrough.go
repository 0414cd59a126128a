// The AWS SDK for Go v2 against profilestack: one walk through every service, printed as JSON for
// tests/e2e/test_go_sdk.py to check. Its signer, serializers and error readers are Go's own, and the SDK is the
// one Terraform's AWS provider is built on. Usage: walkthrough <endpoint> <unique suffix>
package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	trailtypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/connectcampaigns"
	campaigntypes "github.com/aws/aws-sdk-go-v2/service/connectcampaigns/types"
	"github.com/aws/aws-sdk-go-v2/service/customerprofiles"
	profiletypes "github.com/aws/aws-sdk-go-v2/service/customerprofiles/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// config for the server at endpoint, signed with the given key (this SDK release names the signing region
// through the endpoint it resolves)
func config(endpoint, accessKey, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secret, token),
		RetryMaxAttempts: 1,
		EndpointResolverWithOptions: aws.EndpointResolverWithOptionsFunc(
			func(service, region string, options ...interface{}) (aws.Endpoint, error) {
				return aws.Endpoint{URL: endpoint, HostnameImmutable: true, SigningRegion: region}, nil
			}),
	}
}

// failure describes the error a call ended with, as this SDK reads it: the code, the HTTP status, the message
func failure(err error) map[string]interface{} {
	if err == nil {
		return nil
	}
	seen := map[string]interface{}{"error": err.Error()}
	var apiError smithy.APIError
	if errors.As(err, &apiError) {
		seen["code"], seen["message"] = apiError.ErrorCode(), apiError.ErrorMessage()
	}
	var response *awshttp.ResponseError
	if errors.As(err, &response) {
		seen["status"] = response.HTTPStatusCode()
	}
	return seen
}

func must[T any](value T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return value
}

func main() {
	endpoint, suffix := os.Args[1], os.Args[2]
	root := config(endpoint, "test", "test", "")
	out := map[string]interface{}{}
	iamClient := iam.NewFromConfig(root)
	profiles := customerprofiles.NewFromConfig(root)
	cloudwatchClient := cloudwatch.NewFromConfig(root)

	// STS and IAM (query protocol, XML answers)
	identity := must(sts.NewFromConfig(root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	out["identity"] = map[string]string{"Account": *identity.Account, "Arn": *identity.Arn}
	_, err := sts.NewFromConfig(config(endpoint, "test", "wrong", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	out["badSecret"] = failure(err)
	_, err = sts.NewFromConfig(config(endpoint, "AKIAUNKNOWN0000000000", "x", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	out["unknownKey"] = failure(err)

	userName := "go-" + suffix
	must(iamClient.CreateUser(ctx, &iam.CreateUserInput{UserName: &userName, Path: aws.String("/go/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	user := must(iamClient.GetUser(ctx, &iam.GetUserInput{UserName: &userName})).User
	out["user"] = map[string]interface{}{"UserName": *user.UserName, "Path": *user.Path, "Arn": *user.Arn,
		"Tags": user.Tags, "CreatedSecondsAgo": time.Since(*user.CreateDate).Seconds()}
	key := must(iamClient.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &userName})).AccessKey
	asUser := config(endpoint, *key.AccessKeyId, *key.SecretAccessKey, "")
	out["userIdentity"] = *must(sts.NewFromConfig(asUser).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).Arn
	_, err = iam.NewFromConfig(asUser).ListRoles(ctx, &iam.ListRolesInput{})
	out["userDenied"] = failure(err)
	_, err = iamClient.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody-" + suffix)})
	out["missingUser"] = failure(err)

	// Pages: IsTruncated and Marker, read by the SDK's own paginator, one user a page
	pagePath := "/go-pages-" + suffix + "/"
	for _, name := range []string{"b", "a", "c"} {
		must(iamClient.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name + "-" + suffix), Path: &pagePath}))
	}
	userPages := [][]string{}
	for pages := iam.NewListUsersPaginator(iamClient, &iam.ListUsersInput{PathPrefix: &pagePath, MaxItems: aws.Int32(1)}); pages.HasMorePages(); {
		page := []string{}
		for _, listed := range must(pages.NextPage(ctx)).Users {
			page = append(page, *listed.UserName)
		}
		userPages = append(userPages, page)
	}
	out["userPages"] = userPages

	// A role the account trusts, assumed by the user it lets: the session token travels in X-Amz-Security-Token
	roleName := "go-role-" + suffix
	roleArn := fmt.Sprintf("arn:aws:iam::%s:role/%s", *identity.Account, roleName)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},`+
		`"Action":"sts:AssumeRole"}]}`, *identity.Arn)
	must(iamClient.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &roleName, AssumeRolePolicyDocument: &trust}))
	must(iamClient.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: &userName, PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
			`"Action":"sts:AssumeRole","Resource":"%s"}]}`, roleArn))}))
	details := must(iamClient.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser}}))
	for _, detail := range details.UserDetailList {
		if *detail.UserName == userName {
			inline := must(url.QueryUnescape(*detail.UserPolicyList[0].PolicyDocument))
			out["userDetail"] = map[string]interface{}{"Path": *detail.Path, "PolicyName": *detail.UserPolicyList[0].PolicyName,
				"PolicyIsJSON": json.Valid([]byte(inline)), "Tags": len(detail.Tags)}
		}
	}
	assumed := must(sts.NewFromConfig(asUser).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn,
		RoleSessionName: aws.String("gopher"), DurationSeconds: aws.Int32(900)})).Credentials
	asRole := config(endpoint, *assumed.AccessKeyId, *assumed.SecretAccessKey, *assumed.SessionToken)
	out["roleIdentity"] = *must(sts.NewFromConfig(asRole).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).Arn
	out["expiresInSeconds"] = time.Until(*assumed.Expiration).Seconds()
	_, err = iam.NewFromConfig(asRole).ListUsers(ctx, &iam.ListUsersInput{})
	out["roleDenied"] = failure(err)

	// A presigned GetCallerIdentity, as Vault's and EKS's AWS authentication have a client make and a server send
	presigned := must(sts.NewPresignClient(sts.NewFromConfig(asUser)).PresignGetCallerIdentity(ctx,
		&sts.GetCallerIdentityInput{}))
	request := must(http.NewRequest(presigned.Method, presigned.URL, nil))
	request.Header = presigned.SignedHeader
	answer := must(http.DefaultClient.Do(request))
	body := must(io.ReadAll(answer.Body))
	answer.Body.Close()
	var caller struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	must(0, xml.Unmarshal(body, &caller))
	out["presigned"] = map[string]interface{}{"method": presigned.Method, "status": answer.StatusCode, "Arn": caller.Arn}

	// Customer Profiles (REST-JSON): the domain's own service-linked role, then profiles and objects
	domain := "go" + suffix
	profileRoles := func() []string {
		names := []string{}
		listed := must(iamClient.ListRoles(ctx, &iam.ListRolesInput{
			PathPrefix: aws.String("/aws-service-role/profile.amazonaws.com/"), MaxItems: aws.Int32(1000)}))
		for _, role := range listed.Roles {
			names = append(names, *role.RoleName)
		}
		return names
	}
	before := map[string]bool{}
	for _, name := range profileRoles() {
		before[name] = true
	}
	created := must(profiles.CreateDomain(ctx, &customerprofiles.CreateDomainInput{DomainName: &domain,
		DefaultExpirationDays: aws.Int32(30), Tags: map[string]string{"team": "red"}}))
	out["createDomain"] = map[string]interface{}{"DomainName": *created.DomainName,
		"DefaultExpirationDays": *created.DefaultExpirationDays,
		"CreatedSecondsAgo":     time.Since(*created.CreatedAt).Seconds()}
	newRoles := []string{}
	for _, name := range profileRoles() {
		if !before[name] {
			newRoles = append(newRoles, name)
		}
	}
	out["newServiceRoles"] = newRoles
	if len(newRoles) == 1 {
		seedRole := must(iamClient.GetRole(ctx, &iam.GetRoleInput{RoleName: &newRoles[0]})).Role
		document := must(url.QueryUnescape(*seedRole.AssumeRolePolicyDocument))
		var policy struct {
			Statement []struct{ Principal struct{ Service string } }
		}
		must(0, json.Unmarshal([]byte(document), &policy))
		out["seedRole"] = map[string]string{"Path": *seedRole.Path, "trustedBy": policy.Statement[0].Principal.Service}
		_, err = iamClient.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: &newRoles[0],
			PolicyDocument: &trust})
		out["seedTrustChange"] = failure(err)
	}
	// A label holding an ARN: its colons and slashes escaped by Go's own rules, then signed
	domainArn := fmt.Sprintf("arn:aws:profile:us-east-1:%s:domains/%s", *identity.Account, domain)
	must(profiles.TagResource(ctx, &customerprofiles.TagResourceInput{ResourceArn: &domainArn,
		Tags: map[string]string{"stage": "test"}}))
	out["domainTags"] = must(profiles.ListTagsForResource(ctx, &customerprofiles.ListTagsForResourceInput{
		ResourceArn: &domainArn})).Tags

	profile := must(profiles.CreateProfile(ctx, &customerprofiles.CreateProfileInput{DomainName: &domain,
		FirstName: aws.String("Ada"), PhoneNumber: aws.String("+15550100"), PartyType: profiletypes.PartyTypeIndividual,
		Address:    &profiletypes.Address{City: aws.String("London"), Country: aws.String("UK")},
		Attributes: map[string]string{"tier": "gold"}}))
	found := must(profiles.SearchProfiles(ctx, &customerprofiles.SearchProfilesInput{DomainName: &domain,
		KeyName: aws.String("_phone"), Values: []string{"+15550100"}}))
	items := []map[string]interface{}{}
	for _, item := range found.Items {
		items = append(items, map[string]interface{}{"ProfileId": *item.ProfileId, "FirstName": *item.FirstName,
			"City": *item.Address.City, "PartyType": item.PartyType, "Attributes": item.Attributes})
	}
	out["search"], out["createdProfile"] = items, *profile.ProfileId

	must(profiles.PutProfileObjectType(ctx, &customerprofiles.PutProfileObjectTypeInput{DomainName: &domain,
		ObjectTypeName: aws.String("Order"), Description: aws.String("orders"), AllowProfileCreation: true,
		Fields: map[string]profiletypes.ObjectTypeField{
			"id":    {Source: aws.String("_source.id")},
			"phone": {Source: aws.String("_source.phone"), Target: aws.String("_profile.PhoneNumber"), ContentType: profiletypes.FieldContentTypePhoneNumber},
		},
		Keys: map[string][]profiletypes.ObjectTypeKey{
			"_orderId": {{StandardIdentifiers: []profiletypes.StandardIdentifier{profiletypes.StandardIdentifierUnique}, FieldNames: []string{"id"}}},
			"_phone":   {{StandardIdentifiers: []profiletypes.StandardIdentifier{profiletypes.StandardIdentifierProfile}, FieldNames: []string{"phone"}}},
		}}))
	out["putObject"] = *must(profiles.PutProfileObject(ctx, &customerprofiles.PutProfileObjectInput{DomainName: &domain,
		ObjectTypeName: aws.String("Order"), Object: aws.String(`{"id": "o-1", "phone": "+15550100"}`)})).ProfileObjectUniqueKey
	objects := must(profiles.ListProfileObjects(ctx, &customerprofiles.ListProfileObjectsInput{DomainName: &domain,
		ObjectTypeName: aws.String("Order"), ProfileId: profile.ProfileId}))
	out["objects"] = len(objects.Items)
	stats := must(profiles.GetDomain(ctx, &customerprofiles.GetDomainInput{DomainName: &domain})).Stats
	out["stats"] = map[string]int64{"ProfileCount": stats.ProfileCount, "ObjectCount": stats.ObjectCount}
	_, err = profiles.GetDomain(ctx, &customerprofiles.GetDomainInput{DomainName: aws.String("none" + suffix)})
	out["missingDomain"] = failure(err)
	_, err = profiles.GetDomain(ctx, &customerprofiles.GetDomainInput{DomainName: aws.String("not valid!")})
	out["invalidDomainName"] = failure(err)

	// CloudWatch (query protocol in this SDK release)
	namespace := "Go/" + suffix
	north := []cwtypes.Dimension{{Name: aws.String("Shop"), Value: aws.String("north")}}
	must(cloudwatchClient.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: &namespace,
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("Orders"), Value: aws.Float64(3), Unit: cwtypes.StandardUnitCount, Dimensions: north},
			{MetricName: aws.String("Orders"), Value: aws.Float64(5), Unit: cwtypes.StandardUnitCount, Dimensions: north},
		}}))
	metrics := []string{}
	for _, metric := range must(cloudwatchClient.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: &namespace})).Metrics {
		metrics = append(metrics, *metric.MetricName+" "+*metric.Dimensions[0].Name+"="+*metric.Dimensions[0].Value)
	}
	out["metrics"] = metrics
	now := time.Now()
	statistics := must(cloudwatchClient.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: &namespace, MetricName: aws.String("Orders"), Dimensions: north,
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)), Period: aws.Int32(7200),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}}))
	sums := []float64{}
	for _, point := range statistics.Datapoints {
		sums = append(sums, *point.Sum, *point.SampleCount)
	}
	out["statistics"] = sums
	// GetMetricData: nested query structures in, a metric and its math out, a page at a time
	queried := map[string][]float64{}
	for pages := cloudwatch.NewGetMetricDataPaginator(cloudwatchClient, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			{Id: aws.String("orders"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(7200), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: &namespace, MetricName: aws.String("Orders"), Dimensions: north}}},
			{Id: aws.String("doubled"), Expression: aws.String("orders * 2"), Label: aws.String("twice")},
		}}); pages.HasMorePages(); {
		for _, result := range must(pages.NextPage(ctx)).MetricDataResults {
			queried[*result.Id+" "+*result.Label+" "+string(result.StatusCode)] = result.Values
		}
	}
	out["metricData"] = queried
	_, err = cloudwatchClient.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Go"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	out["reservedNamespace"] = failure(err)
	alarmName := "orders-" + suffix
	must(cloudwatchClient.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: &alarmName,
		Namespace: &namespace, MetricName: aws.String("Orders"), Dimensions: north, Statistic: cwtypes.StatisticSum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}))
	alarm := must(cloudwatchClient.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarmName}})).MetricAlarms[0]
	out["alarm"] = map[string]interface{}{"Threshold": *alarm.Threshold, "Comparison": alarm.ComparisonOperator,
		"UpdatedSecondsAgo": time.Since(*alarm.AlarmConfigurationUpdatedTimestamp).Seconds()}
	_, err = cloudwatchClient.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("none-" + suffix),
		StateValue: cwtypes.StateValueOk, StateReason: aws.String("none")})
	out["missingAlarm"] = failure(err)

	// Contributor Insights over the log group a trail delivers to (CloudTrail over JSON 1.1, the rule and its
	// report over query): the user's calls, ranked
	trails := cloudtrail.NewFromConfig(root)
	logsRole := must(iamClient.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("go-logs-" + suffix),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})).Role
	trailName, logGroup := "go-trail-"+suffix, "CloudTrail/go-"+suffix
	must(trails.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: &trailName, S3BucketName: aws.String("audit-logs"),
		IsMultiRegionTrail: aws.Bool(true), CloudWatchLogsRoleArn: logsRole.Arn,
		CloudWatchLogsLogGroupArn: aws.String(fmt.Sprintf("arn:aws:logs:us-east-1:%s:log-group:%s:*", *identity.Account, logGroup))}))
	must(trails.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: &trailName}))
	ruleName := "go-callers-" + suffix
	must(cloudwatchClient.PutInsightRule(ctx, &cloudwatch.PutInsightRuleInput{RuleName: &ruleName,
		RuleDefinition: aws.String(fmt.Sprintf(`{"Schema":{"Name":"CloudWatchLogRule","Version":1},"LogGroupNames":["%s"],`+
			`"LogFormat":"JSON","Contribution":{"Keys":["$.eventName"],"Filters":[{"Match":"$.userIdentity.userName",`+
			`"In":["%s"]}]},"AggregateOn":"Count"}`, logGroup, userName))}))
	userIAM := iam.NewFromConfig(asUser)
	for _, call := range []func() error{
		func() error { _, err := userIAM.ListRoles(ctx, &iam.ListRolesInput{}); return err },
		func() error { _, err := userIAM.ListRoles(ctx, &iam.ListRolesInput{}); return err },
		func() error { _, err := userIAM.ListUsers(ctx, &iam.ListUsersInput{}); return err },
	} {
		_ = call() // refused: the user may not list; the trail delivers the refusals all the same
	}
	contributors := map[string]float64{}
	for attempt := 0; attempt < 100 && len(contributors) < 2; attempt++ {
		time.Sleep(100 * time.Millisecond)
		report := must(cloudwatchClient.GetInsightRuleReport(ctx, &cloudwatch.GetInsightRuleReportInput{RuleName: &ruleName,
			StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)), Period: aws.Int32(3600),
			Metrics: []string{"UniqueContributors", "Sum"}}))
		contributors = map[string]float64{}
		for _, contributor := range report.Contributors {
			contributors[strings.Join(contributor.Keys, ",")] = *contributor.ApproximateAggregateValue
			if len(contributor.Datapoints) != 1 || len(report.MetricDatapoints) != 1 {
				contributors["datapoints"] = -1
			}
		}
	}
	out["contributors"] = contributors
	rules := must(cloudwatchClient.DescribeInsightRules(ctx, &cloudwatch.DescribeInsightRulesInput{}))
	for _, rule := range rules.InsightRules {
		if *rule.Name == ruleName {
			out["rule"] = map[string]string{"State": *rule.State, "Schema": *rule.Schema}
		}
	}
	must(cloudwatchClient.DeleteInsightRules(ctx, &cloudwatch.DeleteInsightRulesInput{RuleNames: []string{ruleName}}))
	must(trails.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: &trailName}))
	must(iamClient.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: logsRole.RoleName}))

	// Outbound Campaigns v1 (REST-JSON, a union member)
	campaigns := connectcampaigns.NewFromConfig(root)
	campaign := must(campaigns.CreateCampaign(ctx, &connectcampaigns.CreateCampaignInput{Name: aws.String("dialer-" + suffix),
		ConnectInstanceId: aws.String("instance-go"),
		DialerConfig: &campaigntypes.DialerConfigMemberPredictiveDialerConfig{
			Value: campaigntypes.PredictiveDialerConfig{BandwidthAllocation: aws.Float64(0.5)}},
		OutboundCallConfig: &campaigntypes.OutboundCallConfig{ConnectContactFlowId: aws.String("flow-1"),
			ConnectQueueId: aws.String("queue-1")}}))
	described := must(campaigns.DescribeCampaign(ctx, &connectcampaigns.DescribeCampaignInput{Id: campaign.Id})).Campaign
	dialer := "other"
	if predictive, ok := described.DialerConfig.(*campaigntypes.DialerConfigMemberPredictiveDialerConfig); ok {
		dialer = fmt.Sprintf("predictive %g", *predictive.Value.BandwidthAllocation)
	}
	out["campaign"] = map[string]interface{}{"Name": *described.Name, "sameArn": *described.Arn == *campaign.Arn,
		"dialer": dialer}
	must(campaigns.DeleteCampaign(ctx, &connectcampaigns.DeleteCampaignInput{Id: campaign.Id}))
	_, err = campaigns.DescribeCampaign(ctx, &connectcampaigns.DescribeCampaignInput{Id: campaign.Id})
	out["deletedCampaign"] = failure(err)

	must(profiles.DeleteDomain(ctx, &customerprofiles.DeleteDomainInput{DomainName: &domain}))

	// CloudTrail (JSON 1.1): what the audit trail kept of the user, two events a page
	events, trailPages := []string{}, 0
	for pages := cloudtrail.NewLookupEventsPaginator(cloudtrail.NewFromConfig(root), &cloudtrail.LookupEventsInput{
		LookupAttributes: []trailtypes.LookupAttribute{{AttributeKey: trailtypes.LookupAttributeKeyResourceName,
			AttributeValue: user.Arn}}, MaxResults: aws.Int32(2)}); pages.HasMorePages(); trailPages++ {
		for _, event := range must(pages.NextPage(ctx)).Events {
			var record struct{ EventSource string }
			must(0, json.Unmarshal([]byte(*event.CloudTrailEvent), &record))
			events = append(events, *event.EventName+" "+record.EventSource)
		}
	}
	out["trail"], out["trailPages"] = events, trailPages

	must(iamClient.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &roleName}))
	must(iamClient.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: &userName, PolicyName: aws.String("assume")}))
	for _, name := range []string{"a", "b", "c"} {
		must(iamClient.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name + "-" + suffix)}))
	}
	must(iamClient.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: &userName, AccessKeyId: key.AccessKeyId}))
	must(iamClient.DeleteUser(ctx, &iam.DeleteUserInput{UserName: &userName}))
	encoded := must(json.Marshal(out))
	fmt.Println(strings.TrimSpace(string(encoded)))
}
