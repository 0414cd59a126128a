"""Amazon Connect Customer Profiles: importing this module registers every implemented operation."""

from profilestack.services.profiles import (  # noqa: F401
    attribute_values,
    calculated_attributes,
    domain_object_types,
    domain_stats,
    domains,
    event_streams,
    event_triggers,
    history,
    identity_resolution,
    intents,
    layouts,
    object_type_attributes,
    object_type_detection,
    object_types,
    objects,
    profile_operations,
    recommendations,
    recommender_schemas,
    recommenders,
    rule_based_merging,
    segment_estimates,
    segment_snapshots,
    segment_streams,
    segment_subscriptions,
    segments,
    service_role,
    similar_profiles,
    tagging,
    trigger_runtime,
    upload_jobs,
    workflows,
)
from profilestack.services.profiles.service import profiles

__all__ = ["profiles"]
