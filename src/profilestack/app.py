"""The composition root: one App per process wires storage, identity, audit, outbox and the gateway."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path
from typing import Any

from profilestack.audit.log import AuditLog
from profilestack.config import Settings
from profilestack.gateway.authn import Authenticator
from profilestack.gateway.authz import Authorizer, PolicyAuthorizer
from profilestack.gateway.pipeline import Gateway
from profilestack.iam_policy.actions import NameResolver
from profilestack.identity.credentials import CredentialResolver, CredentialSource, RootCredentials
from profilestack.identity.principal import Principal
from profilestack.outbox.cleanup import CLEANUP_EVERY, CLEANUP_TASK, drop_finished_tasks
from profilestack.outbox.worker import OutboxWorker, ensure_pending
from profilestack.read_cache import ReadCache
from profilestack.runtime import Clock, Ids, OffsetFileClock, SystemClock
from profilestack.server_metrics import ServerMetrics
from profilestack.services.cloudtrail.lake_queries import lake_resource_names
from profilestack.services.cloudtrail.resource_policies import policy_of
from profilestack.services.cloudwatch.metrics import MetricIds
from profilestack.services.iam.authorization import IamPolicyStore, iam_resource_tags, names_with_path
from profilestack.services.iam.catalogue import override_default_versions
from profilestack.services.iam.credentials import AccessKeyCredentials
from profilestack.services.listing_snapshots import ListingSnapshots
from profilestack.services.profiles.service_role import give_roles_to_domains
from profilestack.services.registry import all_tasks, give_ups, periodic_tasks
from profilestack.services.sts.credentials import (
    FederationCredentials,
    ScopedCredentials,
    SessionCredentials,
    SessionTokenCredentials,
)
from profilestack.store.database import Database
from profilestack.store.resource_tags import tags_of

log = logging.getLogger(__name__)


class App:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, ids: Ids | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or (OffsetFileClock(settings.clock_offset_file) if settings.clock_offset_file
                                      else SystemClock())
        self.ids = ids or Ids()
        if settings.test_policy_overrides:
            override_default_versions(json.loads(Path(settings.test_policy_overrides).read_text()))
        self.database = Database(settings.database_url, read_only_checks=settings.test_read_only_checks,
                                 max_pages=settings.test_database_pages)
        self.database.migrate()
        self.database.check_writable()
        sources: list[CredentialSource] = [RootCredentials(settings.root_keys())]
        temporary = [SessionCredentials(self.database), SessionTokenCredentials(self.database),
                     FederationCredentials(self.database)]
        sources += [AccessKeyCredentials(self.database), *temporary, ScopedCredentials(self.database, temporary)]
        self.credentials = CredentialResolver(sources)
        self.authenticator = Authenticator(self.credentials, self.clock)
        tag_readers = {"iam": iam_resource_tags, "profile": tags_of, "connect-campaigns": tags_of,
                       "cloudwatch": tags_of, "cloudtrail": tags_of}
        self.policies = IamPolicyStore(self.database, tag_readers, {"cloudtrail": policy_of})
        self.iam_reads = ReadCache()
        self.profile_domain_ids = ReadCache()  # (account, region, name) → the domain's id and name, for reads
        self.listings = ListingSnapshots()  # whole-domain listings, kept between their pages
        self.metric_ids = MetricIds()
        self.authorizer: Authorizer = PolicyAuthorizer(self.policies, self.clock)
        self.audit = AuditLog(self.database, max_waiting=settings.audit_max_waiting)
        self.metrics = ServerMetrics(self.database, self.audit.waiting,
                                     Path(settings.metrics_dir) if settings.metrics_dir else None)
        self.audit.counted = self.metrics.count
        self.outbox = OutboxWorker(self.database, self.clock)
        tasks = {**all_tasks(), CLEANUP_TASK: lambda app, _payload: drop_finished_tasks(app.database, app.clock)}
        self._periodic = {**periodic_tasks(), CLEANUP_TASK: CLEANUP_EVERY}
        for kind, task in tasks.items():
            if kind in self._periodic:
                self.outbox.register_periodic(kind, partial(task, self), self._periodic[kind])
            else:
                gave_up = give_ups().get(kind)
                self.outbox.register(kind, partial(task, self), partial(gave_up, self) if gave_up else None)
        self.gateway = Gateway(self)

    def iam_changed(self) -> None:
        """An IAM write committed: forget cached keys and policies now rather than at their expiry."""
        self.credentials.invalidate()
        self.policies.invalidate()
        self.iam_reads.invalidate()

    def arn_names(self, service_prefix: str, params: dict[str, Any], caller: Principal) -> NameResolver | None:
        """How to fill ARN variables that need stored state, for the services that have such ARNs."""
        if service_prefix == "iam":
            return names_with_path(self.database, self.iam_reads, caller, params)
        if service_prefix == "connect-campaigns":  # campaign/${CampaignId} is the "id" parameter
            return lambda variable: params.get("id") if variable.lower() == "campaignid" else None
        if service_prefix in ("cloudtrail", "cloudtrail-data"):  # trails by "Name", channels, event data stores
            return lake_resource_names(self.database, params)
        if service_prefix == "profile":  # recommenders/${RecommenderTypeName}: "RecommenderName" or "Recommender.Name"
            named = params.get("RecommenderName") or (params.get("Recommender") or {}).get("Name")
            return lambda variable: named if variable.lower() == "recommendertypename" else None
        if service_prefix == "cloudwatch":  # metric-stream/${MetricStreamName}, alarm-mute-rule:${AlarmMuteRuleName},
            # insight-rule/${InsightRuleName} ("RuleName")
            names = {"metricstreamname": params.get("Name"), "alarmmuterulename": params.get("Name"),
                     "insightrulename": params.get("RuleName")}
            return lambda variable: names.get(variable.lower())
        return None

    def start(self) -> None:
        self.audit.start()
        self.metrics.start()
        with self.database.transaction() as connection:
            for kind in self._periodic:
                ensure_pending(connection, self.clock, kind)
        if self.settings.outbox_worker:
            self.outbox.start()
        for line in give_roles_to_domains(self):
            log.warning("service-linked role repaired: %s", line)

    def warm_up(self) -> None:
        """Load the service models and routing tables now rather than on the first request."""
        from profilestack.gateway.routing import warm_up

        warm_up()

    def close(self) -> None:
        self.outbox.stop()
        self.audit.close()
        self.metrics.close()
        self.database.dispose()
