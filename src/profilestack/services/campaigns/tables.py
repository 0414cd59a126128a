"""Outbound Campaigns (v1 and v2): campaigns and the requests they received, and onboarded Connect instances."""

from sqlalchemy import JSON, Column, Index, String, Table, UniqueConstraint

from profilestack.store.metadata import metadata
from profilestack.store.types import UtcDateTime

campaigns = Table(
    "campaigns", metadata,
    Column("id", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("arn", String(256), nullable=False, unique=True),
    Column("name", String(127), nullable=False),
    Column("definition", JSON, nullable=False),  # CreateCampaign's request, as given (tags apart)
    Column("api_version", String(2), nullable=False, server_default="v2"),  # the API that made it: v1 or v2
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_campaigns_account", "account_id", "region"),
)

campaign_outbound_requests = Table(
    "campaign_outbound_requests", metadata,
    Column("id", String(36), primary_key=True),
    Column("campaign_id", String(256), nullable=False),
    Column("client_token", String(200), nullable=False),
    Column("profile_id", String(32)),  # PutProfileOutboundRequestBatch's requests name a profile
    # PutOutboundRequestBatch's give channelSubtypeParameters instead; v1's PutDialRequestBatch phoneNumber and
    # attributes
    Column("channel_parameters", JSON),
    Column("expiration_time", UtcDateTime),
    Column("event_trigger_context", JSON),
    Column("requested_by", String(2048), nullable=False),  # the principal's ARN
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("campaign_id", "client_token", name="uq_campaign_outbound_requests_token"),
)

# Amazon Connect instances onboarded to Outbound Campaigns in a region: their encryption settings, the onboarding
# job's outcome (None once deleted) and the instance's communication limits.
connect_instance_configs = Table(
    "connect_instance_configs", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("instance_id", String(256), primary_key=True),
    Column("encryption", JSON, nullable=False),
    Column("job_status", String(16)),
    Column("communication_limits", JSON),
    Column("created_at", UtcDateTime, nullable=False),
)

# What an onboarded instance is integrated with: a Customer Profiles domain, a Q Connect knowledge base or a Lambda
# function (kind), named by its ARN.
connect_instance_integrations = Table(
    "connect_instance_integrations", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("instance_id", String(256), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("identifier", String(500), primary_key=True),
    Column("config", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
